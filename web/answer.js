/*
 * answer.js - the experiment page's answer first, from the comparison:
 * numbers with their units and SI prefixes, the verdict summary (who wins
 * on the headline metric, by how much with its CI, which strategies are
 * broken or not a fix), the crossover as a heat map on a sequential colour
 * scale with a legend, and the per-cell tables (strategies as columns,
 * correctness first), collapsed, filterable and paged.
 */
'use strict';

(function (S) {
	const {el, append, replace, cellText, value} = S;
	/* The vocabulary (describe's "metrics" and "strategies", S.vocabulary()):
	 * the headline order, the correctness counts and the fixes' names. */
	const V = () => S.vocab;
	const CELLS_PER_PAGE = 8;

	/* v scaled by SI prefixes of unit: 1234 ns -> "1.23 µs" */
	function si(v, units) {
		let k = 0, a = Math.abs(v);
		while (k + 1 < units.length && a >= 1000) {
			v /= 1000;
			a /= 1000;
			k++;
		}
		const digits = a === 0 || a >= 100 || (k === 0 && Number.isInteger(v)) ? 0 : a >= 10 ? 1 : 2;
		return v.toFixed(digits) + '\u2009' + units[k];
	}

	/* A metric's value with its unit from the name's suffix. */
	function metricText(name, v) {
		if (v === null || v === undefined || typeof v !== 'number' || !isFinite(v))
			return '–';
		if (/_ns(\.|_per_op$|$)/.test(name))
			return si(v, ['ns', 'µs', 'ms', 's']);
		if (/_bps$/.test(name))
			return si(v, ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s']);
		if (Math.abs(v) >= 1e4)
			return si(v, ['', 'k', 'M', 'G', 'T']).replace('\u2009', '');
		return Number.isInteger(v) ? String(v) : v.toPrecision(3);
	}

	function ratioText(r) {
		if (typeof r !== 'number' || !isFinite(r))
			return '–';
		return (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)) + '×';
	}

	function ciText(ci) {
		return Array.isArray(ci) && typeof ci[0] === 'number' && typeof ci[1] === 'number'
			? '[' + ratioText(ci[0]).replace('×', '') + ', ' + ratioText(ci[1]).replace('×', '') + ']' : '';
	}

	/* the comparison's metrics that some strategy has a value of somewhere */
	const names = (cmp) => (cmp.metrics || []).map((m) => m.name).filter((m) => (cmp.cells || [])
		.some((c) => Object.values(c.strategies || {}).some((s) => s[m] && typeof s[m].median === 'number')));
	const better = (cmp, m) => ((cmp.metrics || []).find((x) => x.name === m) || {}).better || 'lower';

	/* the headline metric: the crossover's, else the first of the vocabulary's headline order present */
	function headline(cmp) {
		const have = names(cmp);
		if (cmp.crossover && have.includes(cmp.crossover.metric))
			return cmp.crossover.metric;
		return V().headline.find((m) => have.includes(m)) ||
			have.find((m) => !V().correctness.includes(m)) || null;
	}

	/* Livelocked or broke coherence in this cell, or called broken. */
	function broken(cell, s) {
		const ms = (cell.strategies || {})[s] || {};
		return Object.keys(ms).some((m) => ms[m].verdict === 'broken' ||
			(V().correctness.includes(m) && ((ms[m].max ?? ms[m].median) || 0) > 0));
	}

	const who = (s) => s + (V().label(s) ? ' (' + V().label(s) + ')' : '');

	/* One cell's sentence: the best correct strategy and the verdict word. */
	function cellAnswer(cmp, cell, metric, order) {
		const hi = better(cmp, metric) === 'higher', base = cmp.baseline;
		const cand = order.filter((s) => {
			const e = ((cell.strategies || {})[s] || {})[metric];
			return e && typeof e.median === 'number' && !broken(cell, s) &&
				e.verdict !== 'not a fix' && e.verdict !== 'no data';
		}).sort((a, b) => {
			const va = cell.strategies[a][metric].median, vb = cell.strategies[b][metric].median;
			return hi ? vb - va : va - vb;
		});
		if (!cand.length)
			return {text: 'no correct strategy with data on ' + metric, cls: 'v-broken'};
		const best = cand[0], e = cell.strategies[best][metric];
		if (cand.length === 1)
			return {text: 'only ' + who(best) + ' is correct here: ' + metricText(metric, e.median), cls: 'v-baseline'};
		const other = best === base ? cand[1] : best;
		const o = cell.strategies[other][metric];
		const verdict = o.verdict || 'no verdict';
		const clear = best === base ? verdict === 'worse' : verdict === 'better';
		/* Fix A against Fix B: the best of a fix the sentence does not name (the report's other_fix) */
		const said = new Set([best, other, base].map((s) => V().fix(s)).filter(Boolean));
		const more = ['A', 'B'].filter((f) => !said.has(f)).map((f) => cand.find((s) => V().fix(s) === f && s !== base))
			.filter(Boolean).map((s) => {
				const x = cell.strategies[s][metric];
				return '; ' + who(s) + ' at ' + ratioText(x.ratio) + ' ' + base + ' ' + ciText(x.ci) + ', ' + (x.verdict || 'no verdict');
			}).join('');
		return {
			text: (clear ? who(best) + (hi ? ' does best' : ' is cheapest') + ' (' + metricText(metric, e.median) + '): '
				: 'no clear winner: ') + other + ' at ' + ratioText(o.ratio) + ' ' + base + ' ' + ciText(o.ci) + ', ' + verdict + more,
			cls: clear ? 'v-better' : 'v-within_noise',
		};
	}

	/* The verdict summary: what the report's answer block says. */
	function answerBlock(cmp, spec) {
		const metric = headline(cmp);
		const order = [cmp.baseline].concat((cmp.strategies || []).filter((s) => s !== cmp.baseline));
		const box = el('div.answer', {id: 'answer'});
		if (!metric) {
			append(box, [el('p', {}, 'No metric to compare.')]);
			return box;
		}
		const x = cmp.crossover;
		if (x) {
			const flat = (x.grid || []).flat();
			const count = (v) => flat.filter((g) => g === v).length;
			const [na, nb] = [count('A'), count('B')];
			const rs = (x.ratio || []).flat().filter((r) => typeof r === 'number' && r > 0).sort((a, b) => a - b);
			const win = na >= nb ? x.a : x.b, lose = na >= nb ? x.b : x.a;
			append(box, [el('p.headline', {},
				el('strong', {}, who(win)), (better(cmp, metric) === 'higher' ? ' does better on ' : ' is cheaper on '),
				el('code', {}, metric), ' at ' + Math.max(na, nb) + ' of ' + flat.length + ' points; ' +
				who(lose) + ' at ' + Math.min(na, nb) + '; within noise at ' + count('=') + '.'),
			rs.length ? el('p', {}, x.b + ' ÷ ' + x.a + ' ranges ' + ratioText(rs[0]) + ' … ' +
				ratioText(rs[rs.length - 1]) + ', median ' + ratioText(rs[Math.floor(rs.length / 2)]) + '.') : null]);
		} else {
			const cells = cmp.cells || [];
			const shown = cells.slice(0, 8);
			append(box, [el('p.headline', {}, 'On ', el('code', {}, metric), ' (' +
				(better(cmp, metric) === 'higher' ? 'higher' : 'lower') + ' is better):'),
			el('ul.answers', {}, shown.map((c) => {
				const a = cellAnswer(cmp, c, metric, order);
				return el('li.' + a.cls, {}, cells.length > 1 ? el('span.cell', {}, cellText(c.cell) + ': ') : null, a.text);
			})),
			cells.length > shown.length ? el('p.hint', {}, (cells.length - shown.length) +
				' more cells in the tables below.') : null]);
		}
		const cells = cmp.cells || [];
		const all = spec.strategies || cmp.strategies || [];
		const bad = all.filter((s) => cells.some((c) => broken(c, s)));
		const nofix = all.filter((s) => cells.some((c) =>
			(((c.strategies || {})[s] || {})[metric] || {}).verdict === 'not a fix'));
		const ok = all.filter((s) => !bad.includes(s));
		append(box, [el('ul.correctness', {},
			bad.map((s) => el('li.v-broken', {}, el('strong', {}, 'broken: '), who(s) + ' livelocked or broke coherence in ' +
				cells.filter((c) => broken(c, s)).length + ' of ' + cells.length + ' cells')),
			nofix.map((s) => el('li.v-not_a_fix', {}, el('strong', {}, 'not a fix: '), s + ' cannot act on some configurations')),
			ok.length ? el('li.v-better', {}, el('strong', {}, 'correct: '), ok.join(', ') +
				' – no livelocks, no coherence violations') : null)]);
		return box;
	}

	/*
	 * The stored robustness analysis, answer first (the API's "summary",
	 * core/report_robust.c, the report's same sentences): does the verdict
	 * survive every input moved ×1/4..×4, and if not which inputs flip it,
	 * where and to what. A running analysis shows its progress.
	 */
	function robustBlock(rb, id) {
		const box = el('div.robust', {id: 'robust'});
		if (rb.status === 'running' || rb.status === 'failed' || !rb.summary) {
			append(box, [el('p', {}, el('strong', {}, 'Robustness: '), rb.status === 'failed'
				? 'the analysis failed: ' + (rb.error || 'no reason given')
				: 'an analysis is running (' + (rb.runs_used || 0) + ' of ' + (rb.runs_planned || '?') + ' runs).')]);
			return box;
		}
		const s = rb.summary, flips = s.flips || [];
		const on = [' (on ', el('code', {}, s.metric || '?'), ').'];
		if (!s.cells_changed)
			append(box, [el('p.v-better', {}, el('strong', {}, 'Robust: ' + (s.robust ? 'yes' : 'so far') + ' – '),
				'the verdict holds in ' + (s.cells > 1 ? 'all ' : '') + s.cells + ' cell' + (s.cells === 1 ? '' : 's') +
				' with each of ' + s.inputs + ' inputs moved ×1/4..×4', ...on)]);
		else
			append(box, [el('p.v-worse', {}, el('strong', {}, 'Robust: no – '),
				flips.length + ' input' + (flips.length === 1 ? '' : 's') + ' flip' + (flips.length === 1 ? 's' : '') +
				' the verdict in ' + s.cells_changed + ' of ' + s.cells + ' cell' + (s.cells === 1 ? '' : 's') +
				' within ×1/4..×4', ...on),
			el('ul.flips', {}, flips.slice(0, 3).map((f) => el('li', {}, el('code', {}, f.input),
				' in ' + f.cells + ' cell' + (f.cells === 1 ? '' : 's') + ': ',
				(f.where || []).slice(0, 2).map((w, i) => [i ? '; ' : '', w.cell_text ? el('span.cell', {}, 'at ' + w.cell_text + ', ') : null,
					w.statement]).flat(), f.cells > 2 ? ' …' : ''))),
			flips.length > 3 ? el('p.hint', {}, 'and ' + (flips.length - 3) + ' more input' + (flips.length - 3 === 1 ? '' : 's') +
				' (svabench robustness ' + id + ').') : null]);
		if (!s.complete)
			append(box, [el('p.hint', {}, 'Incomplete: the budget stopped the analysis after ' + s.runs_used + ' runs.')]);
		return box;
	}

	/*
	 * The crossover as a heat map: the ratio b ÷ a per point on a
	 * sequential scale (light: small, dark: large, log-spaced between the
	 * smallest and the largest), the winner's letter in each cell, a legend.
	 */
	const STOPS = [[255, 247, 236], [253, 212, 158], [252, 141, 89], [215, 48, 31], [127, 0, 0]];
	function colour(t) {
		const p = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1), i = Math.min(Math.floor(p), STOPS.length - 2);
		const f = p - i, c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
		return c;
	}
	const css = (c) => 'rgb(' + c.join(',') + ')';
	const ink = (c) => (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) > 140 ? '#1b1f24' : '#ffffff';

	function heatMap(x) {
		const xs = x.xs || [], ys = x.ys || [], grid = x.grid || [], ratios = x.ratio || [];
		const rs = ratios.flat().filter((r) => typeof r === 'number' && r > 0);
		const lo = rs.length ? Math.min(...rs) : 1, hi = rs.length ? Math.max(...rs) : 1;
		const t = (r) => hi > lo ? (Math.log(r) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : 0.5;
		const short = (v) => typeof v === 'number' ? metricText('', v) : value(v);
		const rows = ys.map((yv, j) => j).reverse().map((j) => el('tr', {},
			el('th', {scope: 'row'}, short(ys[j])),
			xs.map((xv, i) => {
				const g = (grid[j] || [])[i], r = (ratios[j] || [])[i];
				if (typeof r !== 'number')
					return el('td.heat-none', {title: x.x + '=' + value(xv) + ', ' + x.y + '=' + value(ys[j]) + ': no data'}, '·');
				const c = colour(t(r));
				return el('td', {style: null, 'data-c': css(c), 'data-ink': ink(c),
					title: x.x + '=' + value(xv) + ', ' + x.y + '=' + value(ys[j]) + ': ' + x.b + ' ÷ ' + x.a +
						' = ' + r.toFixed(3) + (g === 'A' ? ', ' + x.a + ' wins' : g === 'B' ? ', ' + x.b + ' wins' : g === '=' ? ', within noise' : '')},
				ratioText(r).replace('×', ''), el('span.who', {}, g === '=' ? '=' : g || ''));
			})));
		const legend = el('div.legend-scale', {'aria-hidden': 'true'},
			el('span', {}, ratioText(lo)), el('span.bar', {}), el('span', {}, ratioText(hi)));
		const wrap = el('figure.heat', {},
			el('figcaption', {}, 'Where each fix is cheaper on ', el('code', {}, x.metric), ': ',
				x.b + ' ÷ ' + x.a + ' per point (letter: who wins – A ' + x.a + ', B ' + x.b + ', = within noise).'),
			el('table.heatmap', {'aria-label': 'crossover heat map'},
				el('tbody', {}, rows),
				el('tfoot', {}, el('tr', {}, el('td', {}), xs.map((xv) => el('th', {scope: 'col'}, short(xv)))))),
			el('p.axes', {}, '↑ ' + x.y + ' (rows) × ' + x.x + ' (columns) →'),
			el('div.legend', {}, el('span', {}, x.b + ' ÷ ' + x.a + ': '), legend));
		/* colours through the CSSOM: the page's CSP allows no inline style attribute */
		for (const td of wrap.querySelectorAll('td[data-c]')) {
			td.style.backgroundColor = td.dataset.c;
			td.style.color = td.dataset.ink;
		}
		const bar = wrap.querySelector('.bar');
		bar.style.background = 'linear-gradient(to right, ' + STOPS.map(css).join(', ') + ')';
		return wrap;
	}

	/* One cell's table: metrics as rows (correctness first), strategies as columns. */
	function cellTable(cmp, c, order) {
		const ms = names(cmp).filter((m) => order.some((s) => typeof (((c.strategies || {})[s] || {})[m] || {}).median === 'number'));
		const ok = V().correctness;
		const rows = ok.filter((m) => ms.includes(m)).concat(ms.filter((m) => !ok.includes(m)));
		return el('div.table-wrap', {role: 'region', tabindex: 0, 'aria-label': 'cell ' + cellText(c.cell)},
			el('table.cmp', {'data-cell': cellText(c.cell)},
				el('caption', {}, cellText(c.cell)),
				el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, 'metric'),
					order.map((s) => el('th', {scope: 'col', 'data-strategy': s}, s, s === cmp.baseline ? el('span.hint', {}, ' (baseline)') : null)))),
				el('tbody', {}, rows.map((m) => el('tr', {},
					el('th', {scope: 'row'}, el('code', {}, V().short(m)), el('span.better', {}, better(cmp, m) === 'higher' ? ' ↑' : ' ↓')),
					order.map((s) => {
						const e = ((c.strategies || {})[s] || {})[m];
						if (!e)
							return el('td.v-no_data', {}, '–');
						const v = broken(c, s) && !ok.includes(m) ? 'broken' : e.verdict || 'no data';
						return el('td.v-' + S.safeClass(v), {title: m + ': median ' + e.median + ', n=' + e.n + ', p=' + (e.p ?? '–') + ', ' + v},
							el('span.median', {}, metricText(m, e.median)),
							v !== 'baseline' && typeof e.ratio === 'number' ? el('span.ratio', {}, ratioText(e.ratio)) : null,
							v !== 'baseline' && ciText(e.ci) ? el('span.ci', {}, ciText(e.ci)) : null,
							v !== 'baseline' ? el('span.verdict-text', {}, v) : null);
					}))))));
	}

	/* Every cell's table, collapsed, with a filter and pages of CELLS_PER_PAGE. */
	function cellTables(cmp) {
		const cells = cmp.cells || [];
		const order = [cmp.baseline].concat((cmp.strategies || []).filter((s) => s !== cmp.baseline));
		const filter = el('input', {id: 'cell-filter', type: 'search', placeholder: 'e.g. ats=true', autocomplete: 'off'});
		const list = el('div.cell-tables', {});
		const pager = el('nav.pager', {'aria-label': 'Cell pages'});
		let pageNo = 0;
		const draw = () => {
			const want = filter.value.trim().toLowerCase();
			const match = cells.filter((c) => !want || cellText(c.cell).toLowerCase().includes(want));
			const pages = Math.max(1, Math.ceil(match.length / CELLS_PER_PAGE));
			pageNo = Math.min(pageNo, pages - 1);
			replace(list, match.slice(pageNo * CELLS_PER_PAGE, (pageNo + 1) * CELLS_PER_PAGE).map((c) => cellTable(cmp, c, order)),
				match.length ? null : el('p.empty', {}, 'No cell matches.'));
			replace(pager, pageNo > 0 ? el('button', {type: 'button', onclick: () => { pageNo--; draw(); }}, '« Previous') : null,
				el('span.hint', {}, ' cells ' + (match.length ? pageNo * CELLS_PER_PAGE + 1 : 0) + '–' +
					Math.min(match.length, (pageNo + 1) * CELLS_PER_PAGE) + ' of ' + match.length + ' '),
				pageNo < pages - 1 ? el('button', {type: 'button', onclick: () => { pageNo++; draw(); }}, 'Next »') : null);
		};
		filter.addEventListener('input', () => { pageNo = 0; draw(); });
		draw();
		return el('details.cells', {open: cells.length <= 2},
			el('summary', {}, 'Per-cell tables (' + cells.length + ' cell' + (cells.length === 1 ? '' : 's') + ')'),
			el('div.field', {}, el('label', {for: 'cell-filter'}, 'Filter cells '), filter),
			list, pager);
	}

	Object.assign(S, {metricText, ratioText, answerBlock, robustBlock, heatMap, cellTables});
}(window.svabench));
