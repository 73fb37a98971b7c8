/*
 * app.js - svabench's dashboard: a hash router over svabenchd's JSON API
 * (/api/v1, ../shared/design/api.md), no framework, no build step. lib.js,
 * experiments.js and submit.js load first.
 *
 *   #/                       experiments, filters, progress (#/?label=&workload=&status=&cursor=)
 *   #/experiments/ID         one experiment: comparison, plots, report, runs, examples
 *   #/runs/ID                one run: its time series and final metrics
 *   #/history                a metric across versions per configuration, change points, alerts and their
 *                            triage (#/history?workload=&metric=&strategy=&config=&status=&direction=)
 *   #/targets                each target's parameters, and the collectors
 *   #/submit                 a new experiment, the form built from the target's describe
 */
'use strict';

(function (S) {
	const {API, main, el, append, replace, link, setStatus, takeFlash, num, pct, when, cellText, value, range,
		safeClass, section, errorBox, table, api, query, target, plot, current, nextPage, heading} = S;
	const ALERTS_LIMIT = 50;

	/* ---- history and alerts ---- */

	/* A configuration ({"preset": {"name", "hash"}, "params", "kernel_config"}) in a line. */
	function configText(c) {
		if (!c || typeof c !== 'object')
			return 'unknown configuration';
		const parts = ['preset ' + ((c.preset && c.preset.name) || '?') +
			(c.preset && c.preset.hash ? ' #' + c.preset.hash.slice(0, 8) : '')];
		const params = Object.keys(c.params || {}).map((k) => k + '=' + value(c.params[k])).join(' ');
		if (params)
			parts.push(params);
		if (c.kernel_config)
			parts.push('kconfig ' + c.kernel_config);
		return parts.join(', ');
	}

	function ciText(ci) {
		return Array.isArray(ci) && ci[0] !== null && ci[1] !== null ?
			' [' + pct(ci[0]) + ', ' + pct(ci[1]) + ']' : '';
	}

	async function pageHistory(g, params) {
		document.title = 'History - svabench';
		heading('History');
		/* the metrics offered: the vocabulary's "history" view (describe) */
		let offered = [];
		try {
			offered = (await S.vocabulary()).view('history');
		} catch (e) {
			if (current(g))
				main.appendChild(errorBox(e, 'Cannot load the metric vocabulary'));
			return;
		}
		if (!current(g))
			return;
		const q = {workload: params.get('workload') || '', metric: params.get('metric') || '',
			strategy: params.get('strategy') || '', config: params.get('config') || ''};
		const wSel = el('select', {id: 'h-workload', name: 'workload', required: true});
		const sSel = el('select', {id: 'h-strategy', name: 'strategy', required: true});
		const cSel = el('select', {id: 'h-config', name: 'config'},
			el('option', {value: ''}, 'every configuration'));
		const mIn = el('input', {id: 'h-metric', name: 'metric', list: 'h-metrics', required: true,
			value: q.metric || S.vocab.headline.find((m) => offered.includes(m)) || offered[0] || '',
			autocomplete: 'off', spellcheck: 'false'});
		const form = el('form.filters', {'aria-label': 'Series'},
			el('div.field', {}, el('label', {for: 'h-workload'}, 'Workload'), wSel),
			el('div.field', {}, el('label', {for: 'h-metric'}, 'Metric'), mIn,
				el('datalist', {id: 'h-metrics'}, offered.map((m) => el('option', {value: m})))),
			el('div.field', {}, el('label', {for: 'h-strategy'}, 'Strategy'), sSel),
			el('div.field', {}, el('label', {for: 'h-config'}, 'Configuration'), cSel),
			el('div.field.actions', {}, el('button', {type: 'submit'}, 'Show')));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			location.hash = '#/history' + query({workload: wSel.value, metric: mIn.value.trim(),
				strategy: sSel.value, config: cSel.value});
		});
		const [cfgSec, cfgBody] = section('Configurations', 'sec-configs');
		const [serSec, serBody] = section('Series', 'sec-series');
		const [alSec, alBody] = section('Alerts', 'sec-alerts');
		append(main, [el('p.hint', {}, 'A metric of one strategy across experiments of one configuration ' +
			'(target, workload, preset and its values, fixed parameters, kernel config), ordered by ' +
			'kernel version (else label) then time. Change points are marked; alerts are made when ' +
			'experiments finish or are imported.'), form, cfgSec, serSec, alSec]);

		try {
			const t = await target('sim');
			if (!current(g))
				return;
			append(wSel, (t.workloads || []).map((w) => el('option', {value: w.name,
				selected: w.name === q.workload}, w.name)));
			append(sSel, (t.strategies || []).map((s) => el('option', {value: s.name,
				selected: s.name === (q.strategy || 'notifier')}, s.name)));
		} catch (e) {
			serBody.appendChild(errorBox(e, 'Cannot describe the target'));
		}

		loadAlerts(g, alBody, params);
		if (!q.workload || !q.metric || !q.strategy) {
			append(serBody, [el('p.empty', {}, 'Pick a workload, a metric and a strategy.')]);
			return;
		}
		try {
			const cfgs = await api('/history/configs' + query({workload: q.workload}));
			if (!current(g))
				return;
			append(cSel, (cfgs.configs || []).map((c) => el('option', {value: c.config,
				selected: c.config === q.config}, configText(c.configuration))));
			const rows = (cfgs.configs || []).map((c) => [
				link('#/history' + query(Object.assign({}, q, {config: c.config})), c.config),
				configText(c.configuration), value((c.experiments || []).length),
				el('span', {}, (c.experiments || []).slice(0, 12).map((id, i) => [i ? ', ' : '',
					link('#/experiments/' + encodeURIComponent(id), id)]).flat())]);
			if (rows.length)
				cfgBody.appendChild(table(rows.length + ' configurations of ' + q.workload,
					['Configuration', 'Preset and fixed params', 'Experiments', 'Newest'], rows, 'configs'));
			else
				cfgBody.appendChild(el('p.empty', {}, 'No finished experiment of this workload yet.'));
		} catch (e) {
			if (current(g))
				cfgBody.appendChild(errorBox(e, 'Configurations unavailable'));
		}
		const qs = query(q);
		append(serBody, [plot(API + '/history/plot.svg' + qs, 'history of ' + q.metric,
			q.metric + ' of ' + q.strategy + ' on ' + q.workload + ' by version')]);
		let doc;
		try {
			doc = await api('/history' + qs);
		} catch (e) {
			if (current(g))
				serBody.appendChild(errorBox(e, 'History unavailable'));
			return;
		}
		if (!current(g))
			return;
		for (const s of doc.series || []) {
			const cps = new Map((s.change_points || []).map((c) => [c.index, c]));
			const rows = (s.points || []).map((p, i) => {
				const c = cps.get(i);
				return [link('#/experiments/' + encodeURIComponent(p.experiment), p.experiment),
					value(p.version), el('span.label', {}, p.label || ''),
					p.imported ? 'imported' : '', when(p.created_at), value(p.n), num(p.median),
					c ? el('span.changepoint.' + safeClass(c.direction), {},
						(c.tentative ? 'tentative ' : '') + c.direction + ' ' + pct(c.change) +
						ciText(c.ci) + ' (p=' + num(c.p) + ')') : ''];
			});
			serBody.appendChild(table(configText(s.configuration) + (cellText(s.cell) ? ' | ' +
				cellText(s.cell) : '') + ': ' + (s.points || []).length + ' points',
				['Experiment', 'Kernel', 'Label', 'Source', 'Created', 'n', 'Median', 'Change point'],
				rows, 'history'));
		}
		if (!(doc.series || []).length)
			serBody.appendChild(el('p.empty', {}, 'No experiment has this series yet.'));
		serBody.appendChild(el('details.spec', {}, el('summary', {}, 'The points as JSON'),
			el('pre', {}, JSON.stringify(doc, null, 2))));
	}

	/* The token submit.js keeps in localStorage, or one asked for now. */
	function triageToken() {
		let tok = '';
		try {
			tok = localStorage.getItem('svabench.token') || '';
		} catch (e) {
			tok = '';
		}
		if (!tok)
			tok = (window.prompt('API token (the contents of var/token) to change an alert:') || '').trim();
		return tok;
	}

	const ALERT_STATUSES = ['new', 'acknowledged', 'invalid', 'fixed'];

	/* An alert's status as a select that POSTs /api/v1/alerts/ID with the token. */
	function triageControl(a, note) {
		const sel = el('select', {'aria-label': 'status of alert ' + a.id, 'data-alert': String(a.id)},
			ALERT_STATUSES.map((s) => el('option', {value: s, selected: s === a.status}, s)));
		sel.addEventListener('change', async () => {
			const tok = triageToken();
			if (!tok) {
				sel.value = a.status;
				return;
			}
			try {
				const r = await api('/alerts/' + encodeURIComponent(a.id), {method: 'POST',
					headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + tok},
					body: JSON.stringify({status: sel.value})});
				a.status = r.status;
				replace(note, 'saved');
			} catch (e) {
				sel.value = a.status;
				replace(note, errorBox(e, 'Not changed'));
			}
		});
		return sel;
	}

	/* The alerts, newest first: GET /api/v1/alerts, filtered by status and direction. */
	async function loadAlerts(g, body, params) {
		const f = {status: params.get('status') || '', direction: params.get('direction') || ''};
		const stSel = el('select', {id: 'a-status', name: 'status'}, el('option', {value: ''}, 'any status'),
			ALERT_STATUSES.map((s) => el('option', {value: s, selected: s === f.status}, s)));
		const dSel = el('select', {id: 'a-direction', name: 'direction'}, el('option', {value: ''}, 'both'),
			['regression', 'improvement'].map((s) => el('option', {value: s, selected: s === f.direction}, s)));
		const filters = el('form.filters', {'aria-label': 'Alert filters'},
			el('div.field', {}, el('label', {for: 'a-status'}, 'Status'), stSel),
			el('div.field', {}, el('label', {for: 'a-direction'}, 'Direction'), dSel),
			el('div.field.actions', {}, el('button', {type: 'submit'}, 'Filter')));
		filters.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const next = new URLSearchParams(params);
			next.set('status', stSel.value);
			next.set('direction', dSel.value);
			location.hash = '#/history' + query(Object.fromEntries(next.entries()));
		});
		body.appendChild(filters);
		let doc;
		try {
			doc = await api('/alerts' + query(Object.assign({limit: ALERTS_LIMIT}, f)));
		} catch (e) {
			if (current(g))
				body.appendChild(errorBox(e, 'Alerts unavailable'));
			return;
		}
		if (!current(g))
			return;
		const alerts = doc.alerts || [];
		if (!alerts.length) {
			body.appendChild(el('p.empty', {}, 'No alerts.'));
			return;
		}
		const expLink = (side) => side && side.experiment ?
			[link('#/experiments/' + encodeURIComponent(side.experiment), side.experiment), ' ',
				el('span.label', {}, (side.kernel && side.kernel.version) || side.label || '')] : '';
		const rows = alerts.map((a) => {
			const m = a.magnitude || {};
			const note = el('span.note', {});
			const changes = el('details', {}, el('summary', {}, (a.changes || []).length + ' series'),
				el('ul', {}, (a.changes || []).map((c) => el('li', {},
					link('#/history' + query({workload: a.workload, metric: c.metric, strategy: c.strategy,
						config: a.config}), c.metric), ' ' + c.strategy +
					(cellText(c.cell) ? ' ' + cellText(c.cell) : '') + ': ' + c.direction + ' ' +
					pct(c.change) + ciText(c.ci)))));
			return [value(a.id), when(a.created_at), value(a.workload), configText(a.configuration),
				el('span', {}, expLink(a.previous), ' \u2192 ', expLink({experiment: a.experiment,
					label: a.label, kernel: a.kernel}), a.imported ? ' (imported)' : ''),
				el('span.' + safeClass(a.direction), {}, (a.tentative ? 'tentative ' : '') + a.direction),
				m.metric ? m.metric + ' ' + pct(m.change) + ciText(m.ci) : '', changes,
				el('span', {}, triageControl(a, note), ' ', note)];
		});
		body.appendChild(table(alerts.length + (doc.next_cursor ? ' newest' : '') + ' alerts',
			['Id', 'Created', 'Workload', 'Configuration', 'Before \u2192 after', 'Direction', 'Largest change',
				'Changes', 'Status'], rows, 'alerts'));
	}
	/* ---- targets and collectors ---- */

	async function pageTargets(g) {
		document.title = 'Targets & collectors - svabench';
		heading('Targets & collectors');
		const [tSec, tBody] = section('Targets', 'sec-targets');
		const [cSec, cBody] = section('Collectors', 'sec-collectors');
		append(main, [el('p.hint', {}, 'Each target\'s parameters, workloads, strategies and presets; below, ',
			el('a', {href: '#sec-collectors'}, 'the counters this host has'), '.'), tSec, cSec]);

		api('/collectors').then((doc) => {
			if (!current(g))
				return;
			const list = doc.collectors || [];
			const avail = list.filter((c) => c.available).length;
			append(cBody, [el('p.hint', {}, avail + ' of ' + list.length + ' counters available on this host.'),
				table('Collectors', ['Event', 'Source', 'Available', 'Reason'], list.map((c) => [
					el('code', {}, c.name), c.source, el('span.badge.' + (c.available ? 'yes' : 'no'), {},
						c.available ? 'yes' : 'no'), c.reason || '']), 'collectors')]);
		}).catch((e) => current(g) && cBody.appendChild(errorBox(e, 'Cannot list the collectors')));

		let list;
		try {
			list = (await api('/targets')).targets || [];
		} catch (e) {
			if (current(g))
				tBody.appendChild(errorBox(e, 'Cannot list the targets'));
			return;
		}
		for (const t of list) {
			const box = el('article.target', {'aria-labelledby': 'target-' + safeClass(t.name)},
				el('h3', {id: 'target-' + safeClass(t.name)}, t.name, ' ',
					el('span.badge.' + (t.available ? 'yes' : 'no'), {}, t.available ? 'available' : 'unavailable')),
				el('p', {}, t.description || ''), t.reason ? el('p.hint', {}, t.reason) : null);
			tBody.appendChild(box);
			try {
				describeTarget(box, await target(t.name));
			} catch (e) {
				box.appendChild(errorBox(e, 'Cannot describe ' + t.name));
			}
		}
	}

	function describeTarget(box, t) {
		if ((t.capabilities || []).length)
			box.appendChild(el('p', {}, 'Capabilities: ', t.capabilities.join(', ')));
		box.appendChild(table('Parameters of ' + t.name, ['Name', 'Group', 'Type', 'Range', 'Default',
			'Unit', 'Help'], (t.params || []).map((p) => [el('code', {}, p.name), p.group || '', p.type,
			range(p, value), value(p.default), p.unit || '', p.help || '']), 'params'));
		box.appendChild(table('Workloads', ['Name', 'What it does', 'Defaults it sets'],
			(t.workloads || []).map((w) => [el('code', {}, w.name), w.help || '',
				Object.keys(w.defaults || {}).map((k) => k + '=' + value(w.defaults[k])).join(' ')])));
		box.appendChild(table('Strategies', ['Name', 'What it does'],
			(t.strategies || []).map((s) => [el('code', {}, s.name), s.help || ''])));
		for (const p of t.presets || []) {
			const values = p.values || {};
			box.appendChild(el('details.preset', {},
				el('summary', {}, 'Preset ', el('strong', {}, p.name), ' – ' +
					Object.keys(values).length + ' values'),
				p.description ? el('p', {}, p.description) : null,
				table('Preset ' + p.name, ['Parameter', 'Value', 'Confidence', 'Source'],
					Object.keys(values).map((k) => [k, value(values[k].value), values[k].confidence || '',
						values[k].source || '']))));
		}
	}

	/* ---- the router ---- */

	const routes = [
		[/^\/?$/, 'experiments', S.pages.list],
		[/^\/experiments\/?$/, 'experiments', S.pages.list],
		[/^\/experiments\/([A-Za-z0-9._-]+)$/, 'experiments', S.pages.experiment],
		[/^\/runs\/([A-Za-z0-9._-]+)$/, 'experiments', S.pages.run],
		[/^\/history$/, 'history', pageHistory],
		[/^\/targets$/, 'targets', pageTargets],
		[/^\/submit$/, 'submit', S.pages.submit],
	];

	function parseHash() {
		const h = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
		const i = h.indexOf('?');
		const path = i < 0 ? h : h.slice(0, i);
		return {path, params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1))};
	}

	function route() {
		if (location.hash && !location.hash.startsWith('#/') && main.childElementCount)
			return; /* an in-page anchor (the skip link), not a page */
		const g = nextPage();
		setStatus(takeFlash());
		const {path, params} = parseHash();
		for (const [re, nav, fn] of routes) {
			const m = path.match(re);
			if (!m)
				continue;
			for (const a of document.querySelectorAll('[data-nav]')) {
				if (a.dataset.nav === nav)
					a.setAttribute('aria-current', 'page');
				else
					a.removeAttribute('aria-current');
			}
			replace(main);
			fn(g, params, ...m.slice(1).map(decodeURIComponent));
			return;
		}
		replace(main, el('h1', {}, 'Not found'),
			el('p', {}, 'No page ' + path + '. '), link('#/', 'Back to the experiments'));
	}

	S.route = route;
	window.addEventListener('hashchange', route);
	route();
}(window.svabench));
