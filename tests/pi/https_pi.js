#!/usr/bin/env node
/*
 * https_pi.js - a Push Initiator's HTTPS endpoint for result notifications,
 * for the ppgd TLS tests: a real TLS peer (node's https module, OpenSSL).
 *
 *   node https_pi.js --port N --cert PEM --key PEM --out FILE
 *
 * Writes "listening N" to FILE once it accepts connections; appends each
 * POST's body to FILE (with a line "POST <length>" before it) and answers 200
 * with a PAP resultnotification-response (PAP §8.6). A TLS handshake that
 * fails (the client refused our certificate) appends "tlsClientError <why>".
 */
'use strict';
const fs = require('fs');
const https = require('https');

const argv = process.argv.slice(2);
const opt = {};
while (argv.length >= 2)
	opt[argv.shift().replace(/^--/, '')] = argv.shift();
for (const k of ['port', 'cert', 'key', 'out'])
	if (opt[k] === undefined) {
		process.stderr.write('usage: node https_pi.js --port N --cert PEM --key PEM --out FILE\n');
		process.exit(2);
	}

const answer = '<?xml version="1.0"?>\n' +
    '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.1//EN" ' +
    '"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd">\n' +
    '<pap><resultnotification-response push-id="%ID%"><address address-value="%ADDR%"/>' +
    '<response-result code="1000" desc="OK"/></resultnotification-response></pap>\n';

const server = https.createServer({
	cert: fs.readFileSync(opt.cert),
	key: fs.readFileSync(opt.key),
}, (req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		fs.appendFileSync(opt.out, 'POST ' + body.length + '\n' + body + '\n');
		const id = (/push-id="([^"]*)"/.exec(body) || [])[1] || '';
		const addr = (/address-value="([^"]*)"/.exec(body) || [])[1] || '';
		res.writeHead(200, { 'Content-Type': 'application/xml' });
		res.end(answer.replace('%ID%', id).replace('%ADDR%', addr));
	});
});
server.on('tlsClientError', (err) => fs.appendFileSync(opt.out, 'tlsClientError ' + err.message + '\n'));
server.listen(Number(opt.port), '127.0.0.1', () => fs.appendFileSync(opt.out, 'listening ' + opt.port + '\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
