#!/usr/bin/python3
# prom_parse.py FILE - parses a /metrics scrape with the real Prometheus text
# parser (python3-prometheus-client) and prints one line per sample,
# "name{label="value",...} value" with the labels sorted, then "families N".
# Exit 1 when the parser refuses the text (test_admin.c reads the lines).
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    n = 0
    try:
        for fam in text_string_to_metric_families(text):
            n += 1
            for s in fam.samples:
                labels = ",".join('%s="%s"' % (k, s.labels[k]) for k in sorted(s.labels))
                print("%s{%s} %r" % (s.name, labels, float(s.value)))
            print("type %s %s" % (fam.name, fam.type))
    except Exception as e:  # the parser's ValueError and the like
        print("parse error: %s" % e, file=sys.stderr)
        return 1
    print("families %d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
