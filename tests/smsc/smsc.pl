#!/usr/bin/perl
# smsc.pl - an SMPP 3.4 SMSC for the tests of ppg/ppg_smpp.c, on Net::SMPP
# (Debian libnet-smpp-perl) in listen mode. One process, many connections
# (IO::Select); state such as the submit counter is shared by all of them,
# so "--drop-after" and "--respond-first" count across reconnects.
#
#   --port N             listen on 127.0.0.1:N (required)
#   --system-id ID       bind must carry this system_id (else ESME_RINVSYSID)
#   --password PW        bind must carry this password (else ESME_RINVPASWD)
#   --log FILE           one line per event (see below), flushed at once
#   --respond-status S   answer submit_sm with command_status S (0x58 ...)
#   --respond-first N    ... only the first N submit_sm (default: all)
#   --drop-after N       close the connection on the N-th submit_sm, without
#                        answering it (once: a crash mid-load)
#   --unbind-after N     send unbind after answering the N-th submit_sm (once)
#   --abort-after-answer N[,M...]  answer the N-th submit_sm (ESME_ROK, a message id),
#                        send no receipt for it (nor for any submit answered
#                        on that connection and still waiting for its
#                        receipt), and reset the connection at once
#                        (SO_LINGER 0: an abortive close, RST); the same
#                        for the M-th ...
#   --query-state S[,T...]  answer the first query_sm of a message id it gave with
#                        message_state S (2 DELIVERED, 3 EXPIRED,
#                        5 UNDELIVERABLE, 8 REJECTED, 1 ENROUTE, 6 ACCEPTED,
#                        7 UNKNOWN; default 2), the second with T ... (the
#                        last one repeats); an unknown id gets
#                        ESME_RQUERYFAIL (0x67)
#   --query-delay S      wait S seconds before answering a query_sm (0)
#   --receipts           send a deliver_sm receipt (stat:DELIVRD) for each
#                        submit_sm answered ESME_ROK, after --receipt-delay
#   --receipt-delay S    seconds (default 0.2)
#   --receipt-tlv        put receipted_message_id and message_state TLVs in
#   --enquire S          send enquire_link every S seconds while bound
#   --dribble            write each PDU in pieces of 5 octets (split segments)
#   --pidfile FILE       written once listening; removed at exit
# Exits on SIGTERM or SIGINT.
#
# Log lines, "event key=value ...", time t= in seconds since the epoch:
#   listen port=N
#   connect peer=H:P
#   bind cmd=bind_transceiver system_id=ID status=0x0000000E t=T
#   submit_sm seq=N dst=D esm_class=0x40 data_coding=0x04 registered_delivery=0x01
#             sm=HEX status=0x00000000 msg_id=ID t=T      (one line)
#   drop seq=N
#   abort seq=N msg_id=ID t=T           (--abort-after-answer: the RST)
#   query_sm seq=N msg_id=ID src=TON/NPI/ADDR state=S status=0x... t=T
#   enquire_link seq=N t=T            (from the client)
#   enquire_link_sent seq=N / enquire_link_resp seq=N
#   deliver_sm seq=N msg_id=ID / deliver_sm_resp seq=N status=0x...
#   unbind_sent seq=N / unbind_resp seq=N / unbind seq=N (from the client)
#   generic_nack seq=N status=0x... / unknown cmd=0x... seq=N
#   disconnect peer=H:P
use strict;
use warnings;

use Getopt::Long;
use IO::Select;
use POSIX qw(strftime);
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time);
use Net::SMPP;

package SMSC::Conn;
our @ISA = ('Net::SMPP');
our $dribble = 0;

# Every PDU Net::SMPP sends goes through syswrite: in --dribble mode it
# leaves in small pieces so that the client sees PDUs split across reads.
sub syswrite {
	my ($me, $buf) = @_;
	return $me->SUPER::syswrite($buf) unless $dribble;
	my $sent = 0;
	while ($sent < length $buf) {
		my $n = $me->SUPER::syswrite(substr($buf, $sent, 5));
		return undef unless defined $n;
		$sent += $n;
		Time::HiRes::sleep(0.002);
	}
	return $sent;
}

package main;

my %o = (
	port => 0, 'receipt-delay' => 0.2, 'respond-status' => '0', 'respond-first' => 0,
	'drop-after' => 0, 'unbind-after' => 0, enquire => 0, 'abort-after-answer' => '',
	'query-state' => '2', 'query-delay' => 0,
);
GetOptions(\%o, 'port=i', 'system-id=s', 'password=s', 'log=s', 'respond-status=s',
	'respond-first=i', 'drop-after=i', 'unbind-after=i', 'receipts', 'receipt-delay=f',
	'receipt-tlv', 'enquire=f', 'dribble', 'pidfile=s', 'abort-after-answer=s', 'query-state=s',
	'query-delay=f') or die "smsc.pl: bad options\n";
die "smsc.pl: --port is required\n" unless $o{port};
$SMSC::Conn::dribble = $o{dribble} ? 1 : 0;
my $respond_status = $o{'respond-status'} =~ /^0x/i ? hex $o{'respond-status'} : $o{'respond-status'} + 0;

my $log;
if ($o{log}) {
	open $log, '>>', $o{log} or die "smsc.pl: $o{log}: $!\n";
	$log->autoflush(1);
}
sub logline { print $log "@_\n" if $log; }

my $stop = 0;
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };
$SIG{PIPE} = 'IGNORE';

my $listen = SMSC::Conn->new_listen('127.0.0.1', port => $o{port}, async => 1, listen => 16)
	or die "smsc.pl: cannot listen on port $o{port}: $!\n";
logline("listen port=$o{port}");
if ($o{pidfile}) {
	open my $p, '>', "$o{pidfile}.tmp" or die "smsc.pl: $o{pidfile}: $!\n";
	print $p "$$\n";
	close $p;
	rename "$o{pidfile}.tmp", $o{pidfile} or die "smsc.pl: $o{pidfile}: $!\n";
}

my $sel = IO::Select->new($listen);
my %conn;              # fileno -> { smpp, peer, bound, mode, next_enq }
my $submits = 0;       # across connections
my $msgid = 0;
my ($dropped, $unbound) = (0, 0);
my %abort_at = map { $_ => 1 } grep { /^\d+$/ } split /,/, $o{'abort-after-answer'};
my @qstates = split /,/, $o{'query-state'};
my $nqueries = 0;
my @receipts;          # [ due, msg_id, src, dst, fileno of the submit's connection ]
my %given;             # msg_id -> 1: the ids query_sm may ask about
my @queries;           # [ due, fileno, seq, msg_id ]

sub close_conn {
	my ($c) = @_;
	logline("disconnect peer=$c->{peer}");
	$sel->remove($c->{smpp});
	delete $conn{fileno $c->{smpp}};
	close $c->{smpp};
}

sub hexs { return unpack 'H*', $_[0]; }

sub on_pdu {
	my ($c, $pdu) = @_;
	my $s = $c->{smpp};
	my $cmd = $pdu->{cmd};
	my $seq = $pdu->{seq};
	my $t = sprintf '%.3f', time;

	if ($cmd == 0x00000009 || $cmd == 0x00000002 || $cmd == 0x00000001) {
		my $name = $cmd == 9 ? 'bind_transceiver' : $cmd == 2 ? 'bind_transmitter' : 'bind_receiver';
		my $st = 0;
		$st = 0x0F if defined $o{'system-id'} && $pdu->{system_id} ne $o{'system-id'};
		$st = 0x0E if !$st && defined $o{password} && $pdu->{password} ne $o{password};
		logline(sprintf 'bind cmd=%s system_id=%s status=0x%08X t=%s', $name, $pdu->{system_id}, $st, $t);
		my $resp = $cmd == 9 ? 'bind_transceiver_resp' : $cmd == 2 ? 'bind_transmitter_resp' : 'bind_receiver_resp';
		$s->$resp(seq => $seq, status => $st, system_id => 'smsc-pl');
		if (!$st) {
			$c->{bound} = 1;
			$c->{mode} = $cmd;
			$c->{next_enq} = time + $o{enquire} if $o{enquire};
		}
	} elsif ($cmd == 0x00000004) {
		$submits++;
		my $line = sprintf 'submit_sm seq=%u dst=%s esm_class=0x%02X data_coding=0x%02X registered_delivery=0x%02X sm=%s',
			$seq, $pdu->{destination_addr}, $pdu->{esm_class}, $pdu->{data_coding},
			$pdu->{registered_delivery}, hexs($pdu->{short_message});
		if ($o{'drop-after'} && !$dropped && $submits >= $o{'drop-after'}) {
			$dropped = 1;
			logline("$line status=none t=$t");
			logline("drop seq=$seq");
			close_conn($c);
			return;
		}
		my $st = 0;
		$st = 0x04 unless $c->{bound};
		$st = $respond_status if !$st && $respond_status &&
			(!$o{'respond-first'} || $submits <= $o{'respond-first'});
		my $id = $st ? '' : sprintf('%08X', ++$msgid);
		$given{$id} = 1 if $id ne '';
		logline(sprintf '%s status=0x%08X msg_id=%s t=%s', $line, $st, $id eq '' ? '-' : $id, $t);
		$s->submit_sm_resp(seq => $seq, status => $st, message_id => $id);
		if ($abort_at{$submits}) {
			# The answer is out; the receipts of this connection are lost
			# with it, and the close is abortive (RST, no FIN).
			delete $abort_at{$submits};
			Time::HiRes::sleep(0.1);   # the answer is read before the RST
			my $fn = fileno $s;
			@receipts = grep { $_->[4] != $fn } @receipts;
			logline(sprintf 'abort seq=%u msg_id=%s t=%.3f', $seq, $id, time);
			setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
			close_conn($c);
			return;
		}
		if (!$st && $o{receipts} && $pdu->{registered_delivery}) {
			push @receipts, [ time + $o{'receipt-delay'}, $id, $pdu->{destination_addr},
				$pdu->{source_addr}, fileno $s ];
		}
		if ($o{'unbind-after'} && !$unbound && $submits >= $o{'unbind-after'}) {
			$unbound = 1;
			my $useq = $s->unbind();
			logline("unbind_sent seq=$useq");
		}
	} elsif ($cmd == 0x00000003) {
		push @queries, [ time + $o{'query-delay'}, fileno $s, $seq, $pdu->{message_id},
			"$pdu->{source_addr_ton}/$pdu->{source_addr_npi}/$pdu->{source_addr}" ];
	} elsif ($cmd == 0x00000015) {
		logline("enquire_link seq=$seq t=$t");
		$s->enquire_link_resp(seq => $seq);
	} elsif ($cmd == 0x80000015) {
		logline("enquire_link_resp seq=$seq");
	} elsif ($cmd == 0x80000005) {
		logline(sprintf 'deliver_sm_resp seq=%u status=0x%08X', $seq, $pdu->{status});
	} elsif ($cmd == 0x00000006) {
		logline("unbind seq=$seq");
		$s->unbind_resp(seq => $seq);
		close_conn($c);
	} elsif ($cmd == 0x80000006) {
		logline("unbind_resp seq=$seq");
		close_conn($c);
	} elsif ($cmd == 0x80000000) {
		logline(sprintf 'generic_nack seq=%u status=0x%08X', $seq, $pdu->{status});
	} else {
		logline(sprintf 'unknown cmd=0x%08X seq=%u', $cmd, $seq);
		$s->generic_nack(seq => $seq, status => 0x03) unless $cmd & 0x80000000;
	}
}

sub send_receipts {
	my $now = time;
	while (@receipts && $receipts[0][0] <= $now) {
		my ($c) = grep { $_->{bound} && $_->{mode} != 2 } values %conn;
		return unless $c;      # wait for a transceiver or receiver
		my $r = shift @receipts;
		my $d = strftime('%y%m%d%H%M', localtime);
		my $text = "id:$r->[1] sub:001 dlvrd:001 submit date:$d done date:$d stat:DELIVRD err:000 text:";
		my @tlv = $o{'receipt-tlv'} ? (receipted_message_id => "$r->[1]\0", message_state => pack('C', 2)) : ();
		my $seq = $c->{smpp}->deliver_sm(source_addr => $r->[2], destination_addr => $r->[3] // '',
			esm_class => 0x04, data_coding => 0, short_message => $text, @tlv);
		logline("deliver_sm seq=$seq msg_id=$r->[1]");
	}
}

sub answer_queries {
	my $now = time;
	while (@queries && $queries[0][0] <= $now) {
		my ($due, $fn, $seq, $id, $src) = @{ shift @queries };
		my $c = $conn{$fn} or next;
		my $known = $given{$id};
		my $state = $qstates[$nqueries < $#qstates ? $nqueries : $#qstates];
		$nqueries++ if $known;
		# the message's receipt is not sent any more: the query told it
		@receipts = grep { $_->[1] ne $id } @receipts if $known;
		my $st = $known ? 0 : 0x67;
		logline(sprintf 'query_sm seq=%u msg_id=%s src=%s state=%d status=0x%08X t=%.3f', $seq, $id, $src,
			$known ? $state : -1, $st, time);
		if ($known) {
			$c->{smpp}->query_sm_resp(seq => $seq, message_id => $id, message_state => $state,
				final_date => strftime('%y%m%d%H%M%S000+', gmtime));
		} else {
			$c->{smpp}->query_sm_resp(seq => $seq, status => $st, message_id => $id, message_state => 0);
		}
	}
}

sub send_enquires {
	my $now = time;
	for my $c (values %conn) {
		next unless $c->{bound} && $c->{next_enq} && $c->{next_enq} <= $now;
		my $seq = $c->{smpp}->enquire_link();
		logline("enquire_link_sent seq=$seq");
		$c->{next_enq} = $now + $o{enquire};
	}
}

while (!$stop) {
	my @ready = $sel->can_read(0.02);
	for my $fh (@ready) {
		if ($fh == $listen) {
			my $s = $listen->accept or next;
			setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
			my $peer = $s->peerhost . ':' . $s->peerport;
			$conn{fileno $s} = { smpp => $s, peer => $peer, bound => 0, mode => 0 };
			$sel->add($s);
			logline("connect peer=$peer");
			next;
		}
		my $c = $conn{fileno $fh} or next;
		my $pdu = $c->{smpp}->read_pdu();
		if (!$pdu) {
			close_conn($c);
			next;
		}
		on_pdu($c, $pdu);
	}
	send_receipts();
	answer_queries();
	send_enquires();
}
close_conn($_) for values %conn;
unlink $o{pidfile} if $o{pidfile};
exit 0;
