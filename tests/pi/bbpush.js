#!/usr/bin/env node
/*
 * bbpush.js - a command-line Push Initiator around the npm "blackberry-push"
 * client (0.1.0), for the ppgd integration tests.
 *
 *   node bbpush.js push --url URL --user U --password P --address ADDR [--message TEXT]
 *
 * Prints the raw PAP response body on stdout and "HTTP <status>" plus the
 * push-id the client generated on stderr. Exit status: 0 when the client's own
 * callback reports success (it requires HTTP 200 and a push-response it can
 * parse), 1 when it reports an error, 2 on a usage error.
 *
 * What the package supports, read from node_modules/blackberry-push/index.js:
 * it exports one function, bbp(url, appID, password), returning
 * push(pin, message, callback). It only sends push-messages; it generates the
 * push-id (Date.now() + random) and the deliver-before-timestamp (now + 2 h)
 * itself, and hands the callback only the parsed response-result (or the HTTP
 * status when it is not 200). So:
 *   - "status" and "cancel" are not implemented (the package has no such API);
 *   - --push-id and --deliver-before cannot be honoured and are refused;
 *   - to print the raw body and the status, this script wraps request.post of
 *     the very "request" module instance that blackberry-push requires: the
 *     request still leaves through the package's own code unchanged.
 */
'use strict';

function usage(msg) {
	if (msg)
		process.stderr.write('bbpush.js: ' + msg + '\n');
	process.stderr.write('usage: node bbpush.js push --url URL --user U --password P ' +
	    '--address ADDR [--message TEXT]\n');
	process.exit(2);
}

const argv = process.argv.slice(2);
const cmd = argv.shift();
const opt = {};
while (argv.length) {
	const k = argv.shift();
	if (!k.startsWith('--') || argv.length === 0)
		usage('bad argument ' + k);
	opt[k.slice(2)] = argv.shift();
}

if (cmd === 'status' || cmd === 'cancel')
	usage('"' + cmd + '" is not supported: blackberry-push 0.1.0 only sends push-messages');
if (cmd !== 'push')
	usage('unknown command ' + cmd);
if (opt['push-id'] !== undefined || opt['deliver-before'] !== undefined)
	usage('--push-id and --deliver-before are not supported: blackberry-push 0.1.0 ' +
	    'generates both itself');
for (const k of ['url', 'user', 'password', 'address'])
	if (opt[k] === undefined)
		usage('missing --' + k);

let bbp, request;
try {
	bbp = require('blackberry-push');
	const dir = require('path').dirname(require.resolve('blackberry-push'));
	request = require(require.resolve('request', { paths: [dir] }));
} catch (e) {
	process.stderr.write('bbpush.js: cannot load blackberry-push (run npm ci in tests/pi): ' +
	    e.message + '\n');
	process.exit(2);
}

/* Observe what goes out and what comes back; change nothing. */
const post = request.post;
let rawBody = null;
request.post = function (options, cb) {
	const m = /push-id="([^"]*)"/.exec(String(options.body || ''));
	if (m)
		process.stderr.write('push-id: ' + m[1] + '\n');
	return post.call(this, options, function (err, response, body) {
		if (!err) {
			rawBody = body;
			process.stdout.write(body === undefined ? '' : String(body));
			process.stderr.write('HTTP ' + response.statusCode + '\n');
		}
		cb(err, response, body);
	});
};

const push = bbp(opt.url, opt.user, opt.password);
push(opt.address, opt.message || 'hello from ppgd tests', function (err, result) {
	if (err) {
		process.stderr.write('blackberry-push error: ' +
		    (typeof err === 'number' ? 'HTTP ' + err : String(err)) + '\n');
		process.exit(1);
	}
	process.stderr.write('response-result: ' + JSON.stringify(result) + '\n');
	process.exit(rawBody === null ? 1 : 0);
});
