/*
 * experiments.js - the dashboard's experiment pages: the list (filters,
 * progress, pages), one experiment (header, comparison, plots, report,
 * runs, examples) and one run (time series, final metrics).
 */
'use strict';

(function (S) {
	const {API, POLL_MS, main, el, append, replace, link, num, ratio, pct, when, cellText,
		value, progress, safeClass, busy, section, errorBox, table, api, query, target, plot, later,
		current, heading} = S;
	const LIST_LIMIT = 20;
	const EXP_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'];
	/* the comparison plots the experiment page shows first, when measured: the vocabulary's "plots" view */
	const keyMetrics = () => S.vocab.view('plots');
	/* what the page asks the comparison for (its "page" view), the headline
	 * first: the comparison draws the crossover on the first metric asked */
	function pageMetrics() {
		const pm = S.vocab.view('page'), first = S.vocab.headline.find((m) => pm.includes(m));
		return (first ? [first] : []).concat(pm.filter((m) => m !== first));
	}
	const LATENCY_CELLS = 4;

	/* ---- experiments list ---- */

	async function pageList(g, params) {
		document.title = 'Experiments - svabench';
		heading('Experiments');
		const f = {label: params.get('label') || '', workload: params.get('workload') || '',
			status: params.get('status') || '', cursor: params.get('cursor') || ''};

		const workloadSel = el('select', {id: 'flt-workload', name: 'workload'},
			el('option', {value: ''}, 'any'));
		const statusSel = el('select', {id: 'flt-status', name: 'status'},
			el('option', {value: ''}, 'any'),
			EXP_STATUSES.map((s) => el('option', {value: s, selected: s === f.status}, s)));
		const labelIn = el('input', {id: 'flt-label', name: 'label', type: 'search', value: f.label,
			autocomplete: 'off', placeholder: 'exact label'});
		const form = el('form.filters', {role: 'search', 'aria-label': 'Filter experiments'},
			el('div.field', {}, el('label', {for: 'flt-label'}, 'Label'), labelIn),
			el('div.field', {}, el('label', {for: 'flt-workload'}, 'Workload'), workloadSel),
			el('div.field', {}, el('label', {for: 'flt-status'}, 'Status'), statusSel),
			el('div.field.actions', {}, el('button', {type: 'submit'}, 'Filter'),
				(f.label || f.workload || f.status) ? link('#/', 'Clear') : null));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			location.hash = '#/' + query({label: labelIn.value.trim(), workload: workloadSel.value,
				status: statusSel.value});
		});
		const body = el('div', {id: 'experiments'});
		append(main, [form, body]);

		target('sim').then((t) => {
			for (const w of t.workloads || [])
				workloadSel.appendChild(el('option', {value: w.name, selected: w.name === f.workload}, w.name));
		}).catch(() => {
			if (f.workload)
				workloadSel.appendChild(el('option', {value: f.workload, selected: true}, f.workload));
		});

		const refresh = async () => {
			let doc;
			try {
				doc = await api('/experiments' + query({label: f.label, workload: f.workload,
					status: f.status, limit: LIST_LIMIT, cursor: f.cursor}));
			} catch (e) {
				if (current(g)) {
					replace(body, errorBox(e, 'Cannot list the experiments'));
					if (!e.status || e.status >= 500) /* the daemon may come back */
						later(refresh, 5 * POLL_MS);
				}
				return;
			}
			if (!current(g))
				return;
			renderList(body, doc, f);
			if ((doc.experiments || []).some(busy))
				later(refresh, POLL_MS);
		};
		await refresh();
	}

	function renderList(body, doc, f) {
		const exps = doc.experiments || [];
		if (!exps.length) {
			replace(body, el('p.empty', {}, f.label || f.workload || f.status
				? 'No experiment matches these filters.'
				: 'No experiments yet. ', link('#/submit', 'Submit one')));
			return;
		}
		const rows = exps.map((e) => [
			link('#/experiments/' + encodeURIComponent(e.id), e.id),
			el('span.name', {}, el('span.title', {}, e.name || (e.spec && e.spec.name) || ''),
				e.label ? link('#/' + query({label: e.label}), el('span.label', {title: 'all experiments labelled so'}, e.label)) : null),
			e.workload || (e.spec && e.spec.workload) || '',
			progress(e),
			when(e.created_at),
		]);
		const pager = el('nav.pager', {'aria-label': 'Pages'},
			f.cursor ? link('#/' + query({label: f.label, workload: f.workload, status: f.status}),
				'« Newest') : null,
			doc.next_cursor ? link('#/' + query({label: f.label, workload: f.workload,
				status: f.status, cursor: doc.next_cursor}), 'Older »') : null);
		replace(body, table('Experiments, newest first', ['Id', 'Name / label', 'Workload',
			'Status', 'Created'], rows, 'list.cards'), pager);
	}

	/* ---- one experiment ---- */

	/*
	 * Answer first: the verdict summary, the crossover heat map, the plots,
	 * then the per-cell tables (collapsed), what ran, the report and the
	 * runs (loaded a page at a time when asked). The page loads the
	 * experiment without its runs and the comparison of the metrics it
	 * shows, not the whole result document.
	 */
	async function pageExperiment(g, params, id) {
		document.title = id + ' - svabench';
		const eid = encodeURIComponent(id);
		let doc;
		try {
			[doc] = await Promise.all([api('/experiments/' + eid + '?runs=false'), S.vocabulary()]);
		} catch (e) {
			heading('Experiment ' + id);
			main.appendChild(errorBox(e, 'Cannot load experiment ' + id));
			return;
		}
		if (!current(g))
			return;
		const exp = doc.experiment || doc;
		const spec = exp.spec || {};
		document.title = (exp.name || id) + ' - svabench';
		heading(exp.name || 'Experiment ' + id, ' ', el('span.id', {}, id));

		const prog = el('div.exp-progress', {}, progress(exp));
		if (busy(exp)) {
			const poll = async () => {
				try {
					const d = await api('/experiments/' + eid + '?runs=false');
					if (!current(g))
						return;
					replace(prog, progress(d.experiment));
					if (busy(d.experiment))
						later(poll, POLL_MS);
					else
						S.route();
				} catch (e) {
					if (current(g))
						later(poll, 5 * POLL_MS);
				}
			};
			later(poll, POLL_MS);
		}

		const [ansSec, ansBody] = section('Answer', 'sec-answer');
		const [plotSec, plotBody] = section('Plots', 'sec-plots');
		const [cmpSec, cmpBody] = section('Comparison', 'sec-comparison');
		const [aboutSec, aboutBody] = section('What ran', 'sec-about');
		append(main, [ansSec, plotSec, cmpSec, aboutSec, reportSection(id), runsSection(id)]);
		append(aboutBody, [header(exp, spec, prog)]);

		const opts = {baseline: params.get('baseline') || '', noise: params.get('noise') || ''};
		replace(ansBody, prog, el('p.loading', {}, 'Computing the comparison…'));
		let cmp = null;
		try {
			cmp = await api('/experiments/' + eid + '/comparison' +
				query(Object.assign({metrics: pageMetrics().join(',')}, opts)));
		} catch (e) {
			if (current(g)) {
				replace(ansBody, prog, errorBox(e, 'Comparison unavailable'));
				if (opts.baseline || opts.noise)
					append(ansBody, [link('#/experiments/' + eid, 'Compare with the defaults')]);
			}
		}
		if (!current(g))
			return;
		if (cmp) {
			replace(ansBody, busy(exp) ? prog : null, S.answerBlock(cmp, spec),
				cmp.crossover ? S.heatMap(cmp.crossover) : null);
			/* the stored robustness analysis, when there is one (404: none) */
			api('/experiments/' + eid + '/robustness').then((rb) => {
				const at = ansBody.querySelector('#answer');
				if (current(g) && at)
					at.after(S.robustBlock(rb, id));
			}).catch(() => {});
			renderComparison(cmpBody, cmp, id, spec);
		}
		renderPlots(plotBody, id, spec, cmp, opts);
	}

	function header(exp, spec, prog) {
		const params = spec.params || {};
		const swept = Object.keys(params).filter((k) => Array.isArray(params[k]) && params[k].length > 1);
		const dl = el('dl.facts', {});
		const fact = (k, ...v) => append(dl, [el('dt', {}, k), el('dd', {}, ...v)]);
		const label = exp.label || spec.label;
		fact('Label', label ? link('#/' + query({label}), el('span.label', {}, label)) : '–');
		fact('Target / workload', (exp.target || spec.target || 'sim') + ' / ' +
			(exp.workload || spec.workload || '?'));
		fact('Strategies', (spec.strategies || []).join(', '));
		fact('Parameters', Object.keys(params).length
			? Object.keys(params).map((k) => k + '=' + value(params[k])).join(' ')
			: 'defaults');
		if (swept.length)
			fact('Swept', swept.join(' × '));
		fact('Repetitions', value(spec.repetitions));
		fact('Progress', prog);
		fact('Created', when(exp.created_at));
		if (exp.finished_at)
			fact('Finished', when(exp.finished_at));
		const host = exp.host || {};
		fact('Host', Object.keys(host).map((k) => k + ' ' + value(host[k])).join(', ') || '–');
		if (exp.imported_from)
			fact('Imported from', exp.imported_from);

		const preset = exp.preset || {};
		const values = preset.values || {};
		const presetBox = el('details.preset', {},
			el('summary', {}, 'Preset ', el('strong', {}, preset.name || spec.preset || 'default'),
				' – ' + Object.keys(values).length + ' calibrated values and their sources'),
			preset.description ? el('p', {}, preset.description) : null,
			table('Preset values', ['Parameter', 'Value', 'Confidence', 'Source'],
				Object.keys(values).map((k) => [k, value(values[k].value),
					values[k].confidence || '', values[k].source || ''])));
		const specBox = el('details.spec', {}, el('summary', {}, 'Spec as submitted'),
			el('pre', {}, JSON.stringify(spec, null, 2)));
		return el('div.exp-header', {}, dl, presetBox, specBox);
	}

	function renderComparison(body, cmp, id, spec) {
		const strategies = spec.strategies || cmp.strategies || [];
		const base = cmp.baseline;
		const sel = el('select', {id: 'cmp-baseline', name: 'baseline'},
			strategies.map((s) => el('option', {value: s, selected: s === base}, s)));
		const noise = el('input', {id: 'cmp-noise', name: 'noise', type: 'number', min: 0, max: 100,
			step: 0.5, value: typeof cmp.noise === 'number' ? +(cmp.noise * 100).toFixed(2) : ''});
		const opts = el('form.filters.cmp-opts', {'aria-label': 'Comparison options'},
			el('div.field', {}, el('label', {for: 'cmp-baseline'}, 'Baseline'), sel),
			el('div.field', {}, el('label', {for: 'cmp-noise'}, 'Noise threshold (%)'), noise),
			el('div.field.actions', {}, el('button', {type: 'submit'}, 'Compare')));
		opts.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const n = noise.value === '' ? '' : String(Number(noise.value) / 100);
			location.hash = '#/experiments/' + encodeURIComponent(id) + query({baseline: sel.value, noise: n});
		});
		replace(body, opts,
			el('p.hint', {}, 'Median over repetitions; ratio = median ÷ the baseline\'s median with its 95 % CI; ' +
				'better or worse when the change passes the noise threshold (' + pct(cmp.noise) +
				') and the test gives p < ' + value(cmp.alpha) + '.'),
			(cmp.warnings || []).length ? el('ul.warnings', {}, cmp.warnings.map((w) =>
				el('li', {}, typeof w === 'string' ? w : JSON.stringify(w)))) : null,
			el('p.legend', {}, 'Verdicts: ', ['better', 'worse', 'within noise', 'insufficient data', 'broken',
				'not a fix', 'baseline'].map((v) => el('span.verdict.v-' + safeClass(v), {}, v))),
			S.cellTables(cmp));
	}

	/*
	 * The comparison plots of a few key metrics, the latency quantiles per
	 * cell (a picker past LATENCY_CELLS cells), the crossover map of a
	 * 2-parameter sweep; with the table's baseline and noise threshold.
	 */
	function renderPlots(body, id, spec, cmp, opts) {
		const base = API + '/experiments/' + encodeURIComponent(id) + '/plots/';
		/* the metrics some strategy has a value of somewhere */
		const hasData = (m) => ((cmp && cmp.cells) || []).some((c) => Object.values(c.strategies || {})
			.some((s) => s[m] && typeof s[m].median === 'number'));
		const names = cmp && cmp.metrics ? cmp.metrics.map((m) => m.name).filter(hasData) : keyMetrics();
		let pick = keyMetrics().filter((m) => names.includes(m)).slice(0, 3);
		if (!pick.length)
			pick = names.slice(0, 3);
		const params = spec.params || {};
		const swept = Object.keys(params).filter((k) => Array.isArray(params[k]) && params[k].length > 1);
		const cells = cmp && cmp.cells ? cmp.cells.map((c) => cellText(c.cell)) : [''];
		/* DMA latency quantiles exist where the target measures DMA (not the host) */
		const dma = !cmp || names.some((m) => /^dma\.latency/.test(m));
		const latency = (i) => plot(base + 'latency.svg' + query({cell: i, baseline: opts.baseline}),
			'latency quantiles' + (cells.length > 1 ? ' of ' + cells[i] : ''),
			'DMA latency quantiles by strategy' + (cells.length > 1 ? ', ' + cells[i] : ''));
		let latencyPlots;
		if (!dma) {
			latencyPlots = [];
		} else if (cells.length <= LATENCY_CELLS) {
			latencyPlots = cells.map((_, i) => latency(i));
		} else {
			const slot = el('div', {}, latency(0));
			const pickCell = el('select', {id: 'latency-cell'},
				cells.map((c, i) => el('option', {value: i}, c)));
			pickCell.addEventListener('change', () => replace(slot, latency(Number(pickCell.value))));
			latencyPlots = [el('div.plot-pick', {},
				el('label', {for: 'latency-cell'}, 'Latency of cell '), pickCell, slot)];
		}
		replace(body, el('div.plots', {},
			pick.map((m) => plot(base + 'comparison.svg' + query({metric: m, baseline: opts.baseline,
				noise: opts.noise}), 'comparison of ' + m, 'Strategies on ' + m +
				' (median; whiskers: 95 % CI of the ratio)')),
			latencyPlots,
			swept.length === 2 || (cmp && cmp.crossover)
				? plot(base + 'crossover.svg' + query({baseline: opts.baseline, noise: opts.noise}),
					'crossover map', 'Where each fix is cheaper (' + swept.join(' × ') + ')') : null));
	}

	function reportSection(id) {
		const [s, body] = section('Report', 'sec-report');
		const url = API + '/experiments/' + encodeURIComponent(id) + '/report';
		append(body, [el('p', {}, el('a', {href: url, target: '_blank', rel: 'noopener'},
			'The report as plain text'), ' – fixed-width, ready to paste into a mail.')]);
		return s;
	}

	/* The runs a page at a time, when asked; their livelock and violation examples. */
	function runsSection(id) {
		const [s, body] = section('Runs', 'sec-runs');
		const rowsOf = (runs) => runs.map((r) => {
			const m = r.metrics || {};
			return [link('#/runs/' + encodeURIComponent(r.id), r.id), cellText(r.cell), r.strategy,
				value(r.repetition), el('span.badge.st-' + safeClass(r.status), {}, r.status),
				...S.vocab.correctness.map((c) => num(m[c])), r.reason || ''];
		});
		const more = (cursor) => async () => {
			replace(body, el('p.loading', {}, 'Loading runs…'));
			let d;
			try {
				d = await api('/experiments/' + encodeURIComponent(id) + '/runs' + query({limit: 50, cursor}));
			} catch (e) {
				replace(body, errorBox(e, 'Cannot list the runs'));
				return;
			}
			const runs = d.runs || [];
			const ex = examplesList(runs);
			replace(body, runs.length ? table(runs.length + ' runs', ['Run', 'Cell', 'Strategy', 'Rep',
				'Status', ...S.vocab.correctness.map((c) => S.vocab.short(c)), 'Reason'], rowsOf(runs), 'runs.cards')
				: el('p.empty', {}, 'No runs.'), ex,
			d.next_cursor ? el('button', {type: 'button', onclick: more(d.next_cursor)}, 'Next 50 runs »') : null);
		};
		append(body, [el('button', {type: 'button', id: 'show-runs', onclick: more('')}, 'Show the runs'),
			el('span.hint', {}, ' 50 at a time, with their livelock and violation examples')]);
		return s;
	}

	function examplesList(runs) {
		const withEx = runs.filter((r) => (r.examples || []).length);
		if (!withEx.length)
			return null;
		const shown = withEx.slice(0, 12);
		return el('div.examples-box', {},
			el('h3', {}, 'Livelocks and coherence violations'),
			el('ul.examples', {}, shown.map((r) => el('li', {},
				link('#/runs/' + encodeURIComponent(r.id), r.id), ' ' + r.strategy + ', ' + cellText(r.cell),
				el('ul', {}, r.examples.slice(0, 4).map((x) =>
					el('li', {}, el('code', {}, typeof x === 'string' ? x : JSON.stringify(x)))))))));
	}

	/* ---- one run ---- */

	async function pageRun(g, params, id) {
		document.title = id + ' - svabench';
		const expId = id.replace(/-r\d+$/, '');
		heading('Run ', el('span.id', {}, id));
		const crumbs = el('p.crumbs', {}, 'Experiment ', link('#/experiments/' + encodeURIComponent(expId), expId));
		const info = el('div', {});
		const [plotSec, plotBody] = section('Time series', 'sec-timeseries');
		const [metSec, metBody] = section('Final metrics', 'sec-metrics');
		append(main, [crumbs, info, plotSec, metSec]);
		append(plotBody, [plot(API + '/runs/' + encodeURIComponent(id) + '/plots/timeseries.svg',
			'time series of run ' + id, 'Faults, commands by opcode and latency over simulated time'),
		el('p', {}, el('a', {href: API + '/runs/' + encodeURIComponent(id) + '/samples'}, 'Samples as JSON'))]);

		let doc;
		try {
			doc = await api('/experiments/' + encodeURIComponent(expId));
		} catch (e) {
			if (current(g))
				replace(metBody, errorBox(e, 'Cannot load experiment ' + expId));
			return;
		}
		if (!current(g))
			return;
		const run = (doc.runs || []).find((r) => r.id === id);
		if (!run) {
			replace(metBody, el('p.error', {role: 'alert'}, 'Experiment ' + expId + ' has no run ' + id + '.'));
			return;
		}
		const dl = el('dl.facts', {});
		const fact = (k, ...v) => append(dl, [el('dt', {}, k), el('dd', {}, ...v)]);
		fact('Strategy', run.strategy);
		fact('Cell', cellText(run.cell));
		fact('Repetition', value(run.repetition));
		fact('Seed', String(run.seed));
		fact('Status', el('span.badge.st-' + safeClass(run.status), {}, run.status));
		if (run.reason)
			fact('Reason', run.reason);
		fact('Started', when(run.started_at));
		fact('Finished', when(run.finished_at));
		append(info, [dl]);
		if (busy(run))
			later(S.route, POLL_MS);
		const m = run.metrics || {};
		const groups = new Map();
		for (const k of Object.keys(m)) {
			const grp = k.split('.')[0];
			if (!groups.has(grp))
				groups.set(grp, []);
			groups.get(grp).push(k);
		}
		replace(metBody, groups.size
			? el('div.metric-groups', {}, [...groups].map(([grp, names]) => table(grp, ['Metric', 'Value'],
				names.map((k) => [el('code', {}, k.slice(grp.length + 1) || k), num(m[k])]), 'metrics')))
			: el('p.empty', {}, 'No metrics (yet).'));
		if ((run.examples || []).length)
			append(metBody, [el('h3', {}, 'Examples'), el('ul.examples', {}, run.examples.map((x) =>
				el('li', {}, el('code', {}, typeof x === 'string' ? x : JSON.stringify(x)))))]);
	}

	S.pages.list = pageList;
	S.pages.experiment = pageExperiment;
	S.pages.run = pageRun;
}(window.svabench));
