/*
 * status.js - the live part of ppgd's status page (ppg/status/index.html).
 *
 * Every period (2 s by default) it reads, from the admin API of the same
 * origin with the credentials the browser already holds: status (bearers,
 * listeners, queues, pushes by state), the latest pushes with their
 * addresses, the SIP bindings and the throughput of the last 10 minutes;
 * and the history of the push the operator clicked.
 *
 * Push-ids, addresses, PI names and notes come from Push Initiators and
 * terminals: everything is written into the page as text (textContent,
 * Node.append of strings), never parsed as markup.
 */
'use strict';
(function () {
	const STATES = ['pending', 'delivered', 'undeliverable', 'expired', 'aborted', 'timeout', 'cancelled', 'rejected'];
	const STEP = 5;          /* seconds per point of the chart */
	const WINDOW = 600;      /* seconds the chart spans */
	const NEVER = 8.64e15;   /* ms: a next attempt beyond any date waits for an event */
	const SERIES = [
		{ key: 'accepted', label: 'pushes accepted', color: '#2b6cb0' },
		{ key: 'delivered', label: 'deliveries delivered', color: '#1f8a4c' },
		{ key: 'failed', label: 'deliveries failed (other final states)', color: '#c0392b' },
	];

	let period = 2000;
	let timer = null;
	let busy = false;
	let polls = 0;
	let lastOk = 0;
	let selected = null;      /* the row of the push whose history is shown */

	const $ = (id) => document.getElementById(id);

	/* An element with a class and children; strings become text nodes. */
	function el(tag, cls, ...kids) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		for (const k of kids)
			if (k !== null && k !== undefined)
				e.append(k instanceof Node ? k : String(k));
		return e;
	}

	function pad(n) {
		return (n < 10 ? '0' : '') + n;
	}

	function clock(ms) {
		if (!ms)
			return '';
		const d = new Date(ms);
		return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
	}

	function stamp(ms) {
		if (!ms)
			return '-';
		const d = new Date(ms);
		return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(ms);
	}

	function duration(s) {
		if (s < 0)
			return '-';
		const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
		if (d)
			return d + 'd ' + h + 'h';
		if (h)
			return h + 'h ' + m + 'm';
		return m + 'm ' + (s % 60) + 's';
	}

	function badge(state, extra) {
		const b = el('span', 'badge s-' + (STATES.includes(state) ? state : 'other'), state);
		if (extra)
			b.title = extra;
		return b;
	}

	function flag(on, yes, no) {
		return el('span', 'badge ' + (on ? 'up' : 'down'), on ? yes : no);
	}

	function off() {
		return el('span', 'badge off', 'off');
	}

	function replace(node, ...kids) {
		node.replaceChildren(...kids);
	}

	function kvRows(tbody, rows) {
		replace(tbody, ...rows.map(([k, v]) => el('tr', null, el('td', null, k), el('td', null, v))));
	}

	async function api(path) {
		const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store',
			headers: { Accept: 'application/json' } });
		let body = null;
		try {
			body = await r.json();
		} catch (e) {
			body = null;
		}
		if (!r.ok)
			throw new Error(path.split('?')[0] + ': HTTP ' + r.status + (body && body.error ? ': ' + body.error : ''));
		return body;
	}

	/* ------------------------------------------------------------ status */

	function renderStatus(st) {
		$('version').textContent = 'version ' + st.version;
		$('uptime').textContent = 'up ' + duration(st.uptime);

		const counts = st.pushes || {};
		replace($('counts'), ...STATES.map((s) => {
			const t = el('div', 'tile s-' + s, el('div', 'n', counts[s] !== undefined ? counts[s] : '-'),
				el('div', 'what', s));
			t.dataset.state = s;
			return t;
		}));

		const b = st.bearers || {};
		const sip = b.sip || {}, udp = b.udp || {}, sms = b.sms || {};
		kvRows($('health').tBodies[0], [
			['PAP listener', flag(st.listeners && st.listeners.pap, 'up', 'down')],
			['database', flag(st.database_writable, 'writable', 'not writable')],
			['SIP Push' + (sip.enabled ? ' (' + sip.listen + ')' : ''), sip.enabled ? flag(sip.up, 'up', 'down') : off()],
			['Push OTA over UDP', udp.enabled ? el('span', 'badge up', 'on') : off()],
			['Push OTA over SMS' + (sms.enabled ? ' (SMSC ' + sms.smsc + ')' : ''),
				sms.enabled ? el('span', null, flag(sms.bound, 'bound', 'not bound'),
					' binds ' + sms.binds + ', link downs ' + sms.link_downs) : off()],
			['PAP requests executed', st.core ? st.core.requests : '-'],
			['group commits', st.core ? st.core.batches + (st.core.commit_failures ? ', ' +
				st.core.commit_failures + ' failed' : '') : '-'],
		]);

		const q = st.deliveries_pending || {};
		kvRows($('queues').tBodies[0], [
			['deliveries in flight', q.inflight],
			['waiting for a registration', q.registration],
			['scheduled (retry, deliver-after)', q.scheduled],
			['due now', q.due],
			['result notifications to send', st.notifications_pending],
		].map(([k, v]) => [k, v === undefined ? '-' : v]));
	}

	/* ------------------------------------------------------------ pushes */

	function addressList(p) {
		const box = el('div', null);
		for (const a of p.addresses || []) {
			const bits = [];
			if (a.bearer_name)
				bits.push('next over ' + a.bearer_name);
			if (a.attempts)
				bits.push(a.attempts + (a.attempts === 1 ? ' attempt' : ' attempts'));
			if (a.desc)
				bits.push(a.desc);
			const line = el('span', 'addr', el('span', 'mono', a.address), ' ',
				badge(a.state, a.in_flight ? 'an attempt is under way' : 'PAP code ' + a.code),
				bits.length ? el('span', 'muted note', ' ' + bits.join(' \u00b7 ')) : null);
			line.dataset.state = a.state;
			box.append(line);
		}
		return box;
	}

	function renderPushes(res) {
		const rows = res.pushes.map((p) => {
			const tr = el('tr', p.row === selected ? 'selected' : null,
				el('td', 'nowrap', stamp(p.received_time)),
				el('td', 'nowrap', p.pi),
				el('td', 'mono push-id', p.push_id),
				el('td', 'state', badge(p.state)),
				el('td', null, addressList(p)));
			tr.dataset.row = p.row;
			tr.dataset.state = p.state;
			tr.addEventListener('click', () => select(p.row));
			return tr;
		});
		replace($('pushes').tBodies[0], ...rows);
		$('pushes-empty').hidden = rows.length > 0;
	}

	/* ------------------------------------------------------------ history */

	async function select(row) {
		selected = row;
		for (const tr of $('pushes').tBodies[0].rows)
			tr.classList.toggle('selected', Number(tr.dataset.row) === row);
		try {
			renderHistory(await api('api/v1/push?row=' + encodeURIComponent(row)));
		} catch (e) {
			showError(e.message);
		}
	}

	function renderHistory(p) {
		const box = $('history');
		box.hidden = false;
		box.dataset.row = p.row;
		$('history-title').textContent = p.push_id + ' (PI ' + p.pi + ')';
		const rows = [
			['state', badge(p.state)],
			['received', stamp(p.received_time)],
			['last change', stamp(p.state_time)],
		];
		if (p.deliver_before)
			rows.push(['deliver before', stamp(p.deliver_before)]);
		if (p.deliver_after)
			rows.push(['deliver after', stamp(p.deliver_after)]);
		if (p.replaced_by)
			rows.push(['replaced by row', p.replaced_by]);
		if (p.replace_push_id)
			rows.push(['replaces', p.replace_push_id]);
		for (const [k, v] of [['application', p.app_id], ['content type', p.content_type],
			['result notifications to', p.notify_to], ['source reference', p.source_reference]])
			if (v)
				rows.push([k, v]);
		kvRows($('history-push').tBodies[0], rows);

		replace($('history-deliveries'), ...(p.deliveries || []).map((d) => {
			const bits = [d.attempts + ' attempt' + (d.attempts === 1 ? '' : 's')];
			if (d.bearer_name)
				bits.push('next over ' + d.bearer_name);
			if (d.next_attempt && d.next_attempt < NEVER)
				bits.push('next attempt ' + stamp(d.next_attempt));
			const head = el('h3', null, el('span', 'mono', d.address), ' ', badge(d.state), ' ' + bits.join(', '));
			const t = el('table', 'list history',
				el('thead', null, el('tr', null, el('th', null, 'time'), el('th', null, 'state'),
					el('th', null, 'code'), el('th', null, 'note'))),
				el('tbody', null, ...d.history.map((h) => el('tr', null, el('td', null, stamp(h.time)),
					el('td', null, badge(h.state)), el('td', null, h.code), el('td', null, h.note || '')))));
			const div = el('div', 'delivery', head, t);
			div.dataset.state = d.state;
			return div;
		}));
	}

	function closeHistory() {
		selected = null;
		$('history').hidden = true;
		for (const tr of $('pushes').tBodies[0].rows)
			tr.classList.remove('selected');
	}

	/* ------------------------------------------------------------ bindings */

	function renderBindings(res) {
		const rows = res.bindings.map((b) => el('tr', null,
			el('td', 'mono', b.aor), el('td', 'mono', b.contact), el('td', null, b.apps || ''),
			el('td', null, duration(b.expires_in)), el('td', null, stamp(b.updated))));
		replace($('bindings').tBodies[0], ...rows);
		$('bindings-empty').hidden = rows.length > 0;
	}

	/* ------------------------------------------------------------ chart */

	function renderChart(th) {
		const c = $('chart');
		const dpr = window.devicePixelRatio || 1;
		const w = c.clientWidth || 560, h = c.clientHeight || 180;
		if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
			c.width = Math.round(w * dpr);
			c.height = Math.round(h * dpr);
		}
		const g = c.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, w, h);

		const n = th.accepted.length;
		const step = th.step;
		let max = 0;
		const totals = {};
		for (const s of SERIES) {
			totals[s.key] = th[s.key].reduce((a, b) => a + b, 0);
			for (const v of th[s.key])
				max = Math.max(max, v / step);
		}
		const top = niceMax(max);
		const L = 40, R = 8, T = 8, B = 20;
		const pw = w - L - R, ph = h - T - B;
		const x = (i) => L + (n > 1 ? i * pw / (n - 1) : 0);
		const y = (v) => T + ph - v / top * ph;

		g.font = '11px system-ui, "DejaVu Sans", sans-serif';
		g.fillStyle = '#6b7482';
		g.strokeStyle = '#e2e5ea';
		g.lineWidth = 1;
		g.textAlign = 'right';
		g.textBaseline = 'middle';
		for (let k = 0; k <= 4; k++) {
			const v = top * k / 4;
			g.beginPath();
			g.moveTo(L, Math.round(y(v)) + 0.5);
			g.lineTo(L + pw, Math.round(y(v)) + 0.5);
			g.stroke();
			g.fillText(fmtRate(v), L - 4, y(v));
		}
		g.textAlign = 'center';
		g.textBaseline = 'top';
		for (let i = 0; i < n; i++) {
			const t = th.t0 + i * step;
			if (t % 120 === 0)
				g.fillText(clock(t * 1000).slice(0, 5), x(i), T + ph + 4);
		}
		for (const s of SERIES) {
			g.strokeStyle = s.color;
			g.lineWidth = 1.6;
			g.beginPath();
			th[s.key].forEach((v, i) => (i ? g.lineTo : g.moveTo).call(g, x(i), y(v / step)));
			g.stroke();
		}

		c.dataset.points = n;
		for (const s of SERIES)
			c.dataset[s.key] = totals[s.key];
		replace($('legend'), ...SERIES.map((s) => el('span', null, el('span', 'sw ' + s.key), s.label + ': ' +
			totals[s.key])), el('span', 'muted', 'per second, averaged over ' + step + ' s'));
	}

	/* The top of the y axis: four grid steps of 1, 2 or 5 times a power of ten. */
	function niceMax(v) {
		if (v <= 0)
			return 1;
		const raw = v / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
		for (const m of [1, 2, 5, 10])
			if (raw <= m * p)
				return 4 * m * p;
		return 40 * p;
	}

	function fmtRate(v) {
		return String(Math.round(v * 100) / 100);
	}

	/* ------------------------------------------------------------ polling */

	function showError(msg) {
		const e = $('error');
		e.textContent = msg;
		e.hidden = false;
	}

	function setLive(cls, text) {
		const l = $('live');
		l.className = 'live ' + cls;
		l.textContent = text;
	}

	async function poll() {
		if (busy)
			return;
		busy = true;
		try {
			const q = new URLSearchParams({ limit: '25', addresses: '1' });
			const st = $('filter-state').value, pi = $('filter-pi').value.trim();
			if (st)
				q.set('state', st);
			if (pi)
				q.set('pi', pi);
			const [status, pushes, bindings, thr] = await Promise.all([
				api('api/v1/status'), api('api/v1/pushes?' + q), api('api/v1/bindings'),
				api('api/v1/throughput?seconds=' + WINDOW + '&step=' + STEP)]);
			renderStatus(status);
			renderPushes(pushes);
			renderBindings(bindings);
			renderChart(thr);
			if (selected !== null)
				renderHistory(await api('api/v1/push?row=' + encodeURIComponent(selected)));
			polls++;
			lastOk = Date.now();
			document.body.dataset.polls = polls;
			$('updated').textContent = clock(lastOk);
			$('error').hidden = true;
			setLive('ok', 'live');
		} catch (e) {
			showError('cannot read the API: ' + e.message + (lastOk ? ' (last update ' + clock(lastOk) + ')' : ''));
			setLive('down', 'no data');
		} finally {
			busy = false;
		}
	}

	function schedule() {
		clearTimeout(timer);
		timer = null;
		if (period > 0)
			timer = setTimeout(async () => {
				await poll();
				schedule();
			}, period);
		else
			setLive('stale', 'paused');
	}

	document.addEventListener('DOMContentLoaded', () => {
		$('period').addEventListener('change', (ev) => {
			period = Number(ev.target.value);
			schedule();
		});
		$('history-close').addEventListener('click', closeHistory);
		document.addEventListener('keydown', (ev) => {
			if (ev.key === 'Escape')
				closeHistory();
		});
		for (const id of ['filter-state', 'filter-pi'])
			$(id).addEventListener('change', () => poll());
		poll().then(schedule);
	});
})();
