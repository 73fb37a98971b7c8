// dashboard.mjs - the dashboard in a real browser, as a user drives it:
// the list, the submit form (a refused parameter shown next to its field,
// then a tiny experiment with a label holding markup), the list until it is
// done, the experiment page (comparison table with a row per strategy, a
// rendered plot, the report, the label as text), a run page, the targets
// and history pages, and the list at phone width. A screenshot of each page
// goes to ARTIFACTS. Prints "ok - ..." / "not ok - ...: why" per step;
// exits 1 when any step failed.
//
// Environment: SVABENCH_URL (the daemon, started with --web pointing at
// web/), SVABENCH_TOKEN, ARTIFACTS (a directory), CHROMIUM (default
// /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const url = (process.env.SVABENCH_URL || '').replace(/\/$/, '');
const token = process.env.SVABENCH_TOKEN || '';
const artifacts = process.env.ARTIFACTS || 'build/artifacts';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const LABEL = 'browser-test <b>x</b>';
const NAME = 'browser test <img src=x onerror="window.__svabenchPwned=1">';
const WAIT = 15000;

let failed = 0;
const ok = (name) => console.log(`ok - ${name}`);
const notOk = (name, why) => {
	failed++;
	console.log(`not ok - ${name}: ${String(why).replace(/\s+/g, ' ').slice(0, 400)}`);
};

// step(name, fn): runs fn, prints its result; returns fn's value or undefined.
async function step(name, fn) {
	try {
		const v = await fn();
		ok(name);
		return v === undefined ? true : v;
	} catch (e) {
		notOk(name, e && e.message ? e.message.split('\n')[0] : e);
		return undefined;
	}
}

function assert(cond, why) {
	if (!cond)
		throw new Error(why);
}

if (!url || !token) {
	notOk('dashboard', 'SVABENCH_URL and SVABENCH_TOKEN must be set (tests/browser/test_dashboard.sh sets them)');
	process.exit(1);
}
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

// Nothing may hang the test run: a last resort after 200 s.
const watchdog = setTimeout(() => {
	notOk('dashboard', 'the browser test took longer than 200 s');
	process.exit(1);
}, 200000);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'svabench-chromium-'));
let context;
const launched = await step('chromium starts headless', async () => {
	context = await chromium.launchPersistentContext(profile, {
		executablePath,
		headless: true,
		viewport: { width: 1280, height: 900 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
});
if (!launched) {
	fs.rmSync(profile, { recursive: true, force: true });
	process.exit(1);
}

// JavaScript errors and CSP refusals on any page fail the run at the end.
const jsErrors = [];
function watch(page) {
	page.on('pageerror', (e) => jsErrors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
			jsErrors.push(m.text());
	});
	return page;
}

const page = watch(context.pages()[0] || await context.newPage());
page.setDefaultTimeout(WAIT);

// The text of the first element matching selector, or ''.
const text = (sel) => page.locator(sel).first().textContent({ timeout: WAIT });

// What describe serves (GET /api/v1/targets: the metric vocabulary and the
// strategies' roles, lib/vocab.c): the pages must list exactly this.
let vocab = null;
await step('describe serves the metric vocabulary and the strategy roles', async () => {
	const r = await page.request.get(url + '/api/v1/targets');
	assert(r.status() === 200, `GET /api/v1/targets: HTTP ${r.status()}`);
	vocab = await r.json();
	assert(Array.isArray(vocab.metrics) && vocab.metrics.length > 50, 'no "metrics" in describe');
	assert(Array.isArray(vocab.strategies) && vocab.strategies.length >= 6, 'no "strategies" in describe');
});
const inView = (v) => (vocab ? vocab.metrics : []).filter((m) => m.views.includes(v)).map((m) => m.name);

await step('the experiments list renders', async () => {
	await page.goto(url + '/#/');
	await page.locator('h1', { hasText: 'Experiments' }).waitFor();
	await page.locator('#experiments table, #experiments .empty').first().waitFor();
	await shot(page, 'list-empty.png');
});

await step('the submit form is built from the target\'s describe', async () => {
	await page.goto(url + '/#/submit');
	await page.locator('#f-workload option[value="rw-reuse"]').waitFor({ state: 'attached' });
	for (const s of ['none', 'pri-inv', 'notifier'])
		assert(await page.locator(`input[type=checkbox][value="${s}"]`).count() === 1, `no checkbox for ${s}`);
	// checked: the first strategy of each fix by describe's roles
	const checked = await page.$$eval('input[type=checkbox][name=strategy]:checked', (b) => b.map((x) => x.value));
	const want = [];
	for (const r of vocab ? vocab.strategies : [])
		if (r.role === 'fix' && !vocab.strategies.some((o) => o.role === 'fix' && o.fix === r.fix && want.includes(o.name)))
			want.push(r.name);
	assert(JSON.stringify(checked) === JSON.stringify(want), `checked ${checked}, describe's first of each fix ${want}`);
	const hint = await text('#f-p-duration_us-hint');
	assert(/int/.test(hint) && /us/.test(hint), `duration_us has no type/unit hint: '${hint}'`);
	assert(await page.locator('#f-preset option').count() >= 1, 'no preset to pick');
	assert(await page.locator('#f-token[type=password]').count() === 1, 'no password field for the token');
});

// Fills the form for the tiny experiment; duration_us as given.
async function fill(duration) {
	await page.selectOption('#f-workload', 'rw-reuse');
	for (const box of await page.locator('input[type=checkbox][name=strategy]').all()) {
		const v = await box.getAttribute('value');
		await box.setChecked(v === 'pri-inv' || v === 'notifier');
	}
	await page.fill('#f-p-duration_us', duration);
	await page.fill('#f-repetitions', '3');
	await page.fill('#f-label', LABEL);
	await page.fill('#f-name', NAME);
}

await step('a refused parameter is shown next to its field', async () => {
	await fill('5');
	await page.fill('#f-token', token);
	await page.click('form.submit button[type=submit]');
	const err = page.locator('[data-field="params.duration_us"] .field-error');
	await page.waitForFunction(() =>
		(document.querySelector('[data-field="params.duration_us"] .field-error') || {}).textContent);
	const msg = await err.textContent();
	assert(/duration_us/.test(msg) || /10/.test(msg), `the error does not name the field or range: '${msg}'`);
	assert(await page.locator('#f-p-duration_us[aria-invalid=true]').count() === 1, 'the field is not marked invalid');
	assert(/#\/submit/.test(page.url()), 'navigated away after a refusal');
	await shot(page, 'submit.png');
});

const id = await step('an experiment submitted through the form', async () => {
	await fill('300');
	if (await page.locator('#f-token').count())
		await page.fill('#f-token', token);
	await page.click('form.submit button[type=submit]');
	await page.waitForURL(/#\/experiments\/[A-Za-z0-9_-]+$/);
	const got = decodeURIComponent(page.url().split('#/experiments/')[1]);
	const kept = await page.evaluate(() => localStorage.getItem('svabench.token'));
	assert(kept === token, 'the token was not kept in localStorage');
	return got;
});

if (id) {
	await step(`the list shows ${id} done`, async () => {
		await page.goto(url + '/#/');
		const row = page.locator('table.list tbody tr', { has: page.locator(`a[href="#/experiments/${id}"]`) });
		await row.locator('.badge', { hasText: /^done$/ }).waitFor({ timeout: 40000 });
		const label = await row.locator('.label').textContent();
		assert(label === LABEL, `label shows as '${label}'`);
		const progress = await row.locator('progress').evaluate((p) => [p.value, p.max]);
		assert(progress[0] === 6 && progress[1] === 6, `progress ${progress[0]}/${progress[1]}, want 6/6`);
		await shot(page, 'list.png');
	});

	await step('the experiment page asks the comparison for describe\'s page metrics, headline first', async () => {
		const asked = [];
		const seen = (req) => {
			if (/\/comparison\?/.test(req.url()))
				asked.push(new URL(req.url()).searchParams.get('metrics'));
		};
		page.on('request', seen);
		await page.goto(url + `/#/experiments/${id}`);
		await page.locator('#answer, #sec-answer + .section-body .error').first().waitFor();
		page.off('request', seen);
		const want = inView('page');
		const head = vocab.metrics.filter((m) => m.headline && want.includes(m.name))
			.sort((a, b) => a.headline - b.headline)[0].name;
		assert(asked.length >= 1, 'no comparison request');
		const got = asked[0].split(',');
		assert(got[0] === head, `first metric asked ${got[0]}, describe's headline ${head}`);
		assert(JSON.stringify([...got].sort()) === JSON.stringify([...want].sort()),
			`asked ${got}, describe's page view ${want}`);
	});

	await step('the experiment page shows the comparison table', async () => {
		await page.goto(url + `/#/experiments/${id}`);
		await page.locator('#sec-comparison').waitFor();
		await page.locator('table.cmp, #sec-comparison + .section-body .error').first().waitFor();
		const err = page.locator('#sec-comparison + .section-body .error');
		if (await err.count())
			throw new Error('no comparison table: ' + await err.textContent());
		for (const s of ['pri-inv', 'notifier']) {
			const n = await page.locator(`table.cmp thead th[data-strategy="${s}"]`).count();
			assert(n >= 1, `no comparison column for ${s}`);
		}
		assert(await page.locator('#answer').count() === 1, 'no verdict summary');
		const cells = await page.locator('table.cmp tbody td span.median').count();
		assert(cells > 0, 'the comparison table has no medians');
	});

	await step('the experiment page shows a rendered plot', async () => {
		// every plot either loads or is replaced by the API's reason
		await page.waitForFunction(() => {
			const imgs = [...document.querySelectorAll('.plots img')];
			const errs = document.querySelectorAll('.plots .plot-error').length;
			return (imgs.length || errs) && imgs.every((i) => i.complete);
		}, null, { timeout: 30000 }).catch(() => {});
		const widths = await page.$$eval('.plots img', (imgs) => imgs.map((i) => [i.currentSrc, i.naturalWidth]));
		const reasons = await page.$$eval('.plots .plot-error', (ps) => ps.map((p) => p.textContent));
		const rendered = widths.filter(([, w]) => w > 0);
		assert(rendered.length > 0, 'no plot rendered (' + widths.length + ' images): ' +
			(reasons.join('; ') || widths.map(([s, w]) => `${s} width ${w}`).join('; ') || 'no plot element'));
	});

	await step('user text renders as text, not markup', async () => {
		const label = await page.locator('.facts .label').first().textContent();
		assert(label === LABEL, `label shows as '${label}'`);
		const h1 = await text('h1');
		assert(h1.includes('<img src=x'), `the name is not shown literally: '${h1}'`);
		assert(await page.locator('main b').count() === 0, 'a <b> element was created from the label');
		assert(await page.locator('main img[src="x"]').count() === 0, 'an <img> was created from the name');
		assert(await page.evaluate(() => window.__svabenchPwned === undefined), 'the name ran script');
	});

	await step('the report link opens the plain-text report', async () => {
		const href = await page.locator('#sec-report + .section-body a').getAttribute('href');
		const resp = await page.request.get(url + href);
		assert(resp.status() === 200, `GET ${href}: HTTP ${resp.status()} ${(await resp.text()).slice(0, 160)}`);
		assert(/^text\/plain/.test(resp.headers()['content-type'] || ''), `GET ${href}: ${resp.headers()['content-type']}`);
		const body = await resp.text();
		assert(body.includes(id), `the report does not name ${id}`);
	});
	await shot(page, 'experiment.png').catch((e) => notOk('experiment screenshot', e.message));

	await step('a run page shows its final metrics and time series', async () => {
		await page.locator('#show-runs').click();
		await page.locator('table.runs').waitFor();
		const heads = await page.$$eval('table.runs thead th', (t) => t.map((x) => x.textContent));
		for (const m of vocab.metrics.filter((x) => x.correctness))
			assert(heads.includes(m.short || m.name), `the runs table has no column ${m.short || m.name}: ${heads}`);
		await page.locator('table.runs a').first().click();
		await page.waitForURL(/#\/runs\//);
		await page.locator('table.metrics tbody tr').first().waitFor();
		const rows = await page.locator('table.metrics tbody tr').count();
		assert(rows > 10, `only ${rows} metrics`);
		await page.waitForFunction(() => {
			const img = document.querySelector('#sec-timeseries + .section-body img');
			return !img || img.complete;
		}, null, { timeout: 20000 }).catch(() => {});
		const w = await page.$$eval('#sec-timeseries + .section-body img', (i) => i.map((x) => x.naturalWidth));
		const why = await page.$$eval('#sec-timeseries + .section-body .plot-error', (p) => p.map((x) => x.textContent));
		await shot(page, 'run.png');
		assert(w.length && w[0] > 0, 'the time series did not render: ' + (why.join('; ') || 'no image'));
	});
}

// A stored robustness analysis shows on the experiment page right after
// the answer, as the API's summary says it (the report's same sentences).
if (id) {
	await step('the experiment page shows the stored robustness analysis after the answer', async () => {
		const path = url + `/api/v1/experiments/${id}/robustness`;
		const r = await page.request.post(path, {
			headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
			data: JSON.stringify({ budget: 3000 }) });
		assert(r.status() === 202, `POST robustness: HTTP ${r.status()} ${(await r.text()).slice(0, 200)}`);
		let rb;
		for (const t0 = Date.now(); ; await new Promise((res) => setTimeout(res, 300))) {
			rb = await (await page.request.get(path)).json();
			if (rb.status !== 'running')
				break;
			assert(Date.now() - t0 < 60000, 'the analysis still runs after 60 s');
		}
		assert(rb.status === 'done' && rb.summary, `robustness ${rb.status}: ${JSON.stringify(rb).slice(0, 200)}`);
		await page.goto(url + `/#/experiments/${id}`);
		await page.locator('#robust').waitFor();
		const m = await page.evaluate(() => ({
			order: document.querySelector('#answer').compareDocumentPosition(document.querySelector('#robust')) & Node.DOCUMENT_POSITION_FOLLOWING,
			text: document.querySelector('#robust').textContent,
			flips: [...document.querySelectorAll('#robust ul.flips li code')].map((c) => c.textContent) }));
		assert(m.order, 'the robustness block is not after the answer');
		const s = rb.summary;
		if (s.cells_changed) {
			assert(/Robust: no/.test(m.text), `text: ${m.text.slice(0, 200)}`);
			assert(JSON.stringify(m.flips) === JSON.stringify(s.flips.slice(0, 3).map((f) => f.input)),
				`inputs shown ${m.flips}, the summary's ${s.flips.slice(0, 3).map((f) => f.input)}`);
			assert(m.text.includes(s.flips[0].where[0].statement), `no statement: ${m.text.slice(0, 300)}`);
		} else {
			assert(/Robust: (yes|so far)/.test(m.text), `text: ${m.text.slice(0, 200)}`);
		}
		await shot(page, 'robustness.png');
	});
}

// The crossover (a 4 x 4 sweep of the default suite's mixed crossover, short
// runs) and a host experiment, submitted through the API.
async function submitSpec(spec) {
	const r = await page.request.post(url + '/api/v1/experiments', {
		headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
		data: JSON.stringify(spec) });
	assert(r.status() === 202, `submit: HTTP ${r.status()} ${(await r.text()).slice(0, 200)}`);
	const got = (await r.json()).id;
	const t0 = Date.now();
	for (;;) {
		const d = await (await page.request.get(url + `/api/v1/experiments/${got}?runs=false`)).json();
		const st = (d.experiment || d).status;
		if (st === 'done')
			return got;
		assert(st === 'queued' || st === 'running', `${got} ended ${st}`);
		assert(Date.now() - t0 < 45000, `${got} still ${st} after 45 s`);
		await new Promise((res) => setTimeout(res, 300));
	}
}

// One experiment page at a viewport width: answer first, bounded, no
// sideways scroll, every plot rendered; a screenshot.
async function answerFirst(expId, width, name, heat) {
	const p = watch(await context.newPage());
	const height = width > 500 ? 900 : 844;
	await p.setViewportSize({ width, height });
	await p.goto(url + `/#/experiments/${expId}`);
	await p.locator('#answer').waitFor({ timeout: WAIT });
	if (heat)
		await p.locator('figure.heat table.heatmap td').first().waitFor({ timeout: WAIT });
	await p.waitForFunction(() => {
		const imgs = [...document.querySelectorAll('.plots img')];
		return imgs.length && imgs.every((i) => i.complete);
	}, null, { timeout: 30000 }).catch(() => {});
	const m = await p.evaluate(() => ({
		h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth,
		answer: document.querySelector('#answer').getBoundingClientRect().top,
		heat: (document.querySelector('figure.heat') || { getBoundingClientRect: () => ({ top: 0 }) }).getBoundingClientRect().top,
		imgs: [...document.querySelectorAll('.plots img')].map((i) => i.naturalWidth),
		errs: [...document.querySelectorAll('.plot-error, main .error')].map((e) => e.textContent),
		http: /HTTP \d{3}/.test(document.querySelector('main').textContent),
		text: document.querySelector('#answer').textContent }));
	await p.screenshot({ path: path.join(artifacts, name), fullPage: false });
	await p.screenshot({ path: path.join(artifacts, name.replace('.png', '-full.png')), fullPage: true });
	await p.close();
	assert(m.answer < height * 0.5, `the verdict summary starts at ${m.answer} px`);
	if (heat)
		assert(m.heat > 0 && m.heat < height, `the heat map starts at ${m.heat} px, below the fold (${height})`);
	assert(m.w <= width, `the page is ${m.w} px wide at ${width} px`);
	assert(m.h <= (width > 500 ? 6000 : 9000), `the page is ${m.h} px tall`);
	assert(m.imgs.length > 0 && m.imgs.every((w) => w > 0), `plots: ${JSON.stringify(m.imgs)}`);
	assert(!m.errs.length && !m.http, `errors on the page: ${m.errs.join('; ')}`);
	return m;
}

const cross = await step('the crossover experiment runs', () => submitSpec({
	target: 'sim', workload: 'mixed', strategies: ['pri-inv', 'notifier'],
	params: { duration_us: 2000, device_fault_rate_hz: [1000, 11500, 58800, 300000],
		cpu_upgrade_rate_hz: [1000, 19300, 139000, 1000000] },
	repetitions: 4, seed: 108, label: 'browser-crossover' }));
if (cross) {
	for (const w of [1280, 390]) {
		await step(`crossover page at ${w} px: verdict and heat map above the fold, bounded, plots rendered`, async () => {
			const m = await answerFirst(cross, w, `crossover-${w}.png`, true);
			assert(/pri-inv|notifier/.test(m.text) && /of 16 points/.test(m.text), `answer: ${m.text.slice(0, 200)}`);
		});
	}
}
const host = await step('a host experiment runs', () => submitSpec({
	target: 'host', workload: 'mprotect-upgrade', strategies: ['unbound'], repetitions: 3,
	params: { iterations: 100, range_pages: [1, 64] }, label: 'browser-host' }));
if (host) {
	await step('the host experiment page shows its numbers and plots, no HTTP errors', async () => {
		const m = await answerFirst(host, 1280, 'host-1280.png', false);
		assert(/op\.latency_ns\.p50/.test(m.text), `answer: ${m.text.slice(0, 200)}`);
	});
}

await step('the targets page describes sim and lists the collectors', async () => {
	await page.goto(url + '/#/targets');
	await page.locator('table.params tbody tr', { hasText: 'duration_us' }).first().waitFor();
	await page.locator('table.collectors, #sec-collectors + .section-body .error').first().waitFor();
	const err = page.locator('#sec-collectors + .section-body .error');
	if (await err.count())
		throw new Error(await err.textContent());
	await shot(page, 'targets.png');
});

await step('the history page shows the series and the alerts', async () => {
	await page.goto(url + '/#/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier');
	await page.locator('#sec-series + .section-body table.history, #sec-series + .section-body .error, ' +
		'#sec-series + .section-body p.empty').first().waitFor();
	await page.locator('#sec-alerts + .section-body table, #sec-alerts + .section-body .error, ' +
		'#sec-alerts + .section-body p.empty').first().waitFor();
	await shot(page, 'history.png');
	const errs = await page.$$eval('main .error', (e) => e.map((x) => x.textContent));
	assert(!errs.length, errs.join('; '));
	const offered = await page.$$eval('#h-metrics option', (o) => o.map((x) => x.value));
	assert(JSON.stringify(offered) === JSON.stringify(inView('history')),
		`the metric list ${offered} is not describe's history view ${inView('history')}`);
	if (id)
		assert(await page.locator(`table.history a[href="#/experiments/${id}"]`).count() === 1,
			`the series has no point for ${id}`);
});

await step('the list works at phone width (390 px)', async () => {
	const phone = watch(await context.newPage());
	await phone.setViewportSize({ width: 390, height: 844 });
	await phone.goto(url + '/#/');
	await phone.locator('#experiments table, #experiments .empty').first().waitFor({ timeout: WAIT });
	const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
	await phone.screenshot({ path: path.join(artifacts, 'list-390.png'), fullPage: true });
	await phone.close();
	assert(overflow <= 390, `the page is ${overflow} px wide at 390 px`);
});

await step('no JavaScript errors or CSP refusals', async () => {
	assert(!jsErrors.length, jsErrors.slice(0, 3).join(' | '));
});

await context.close();
fs.rmSync(profile, { recursive: true, force: true });
clearTimeout(watchdog);
process.exit(failed ? 1 : 0);
