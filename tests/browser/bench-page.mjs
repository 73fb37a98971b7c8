// bench-page.mjs - an experiment page's load as a browser does it: bytes
// transferred (headers and bodies, as Chromium counts them) and the time
// until the verdict summary, the heat map and every plot are there; first
// cold, then reloaded in the same browser (cached: revalidated by ETag).
// Prints one line per load. Used by scripts/bench-page.sh.
//
//   node bench-page.mjs URL EXPERIMENT_ID [WIDTH]
import { chromium } from 'playwright-core';

const [url, id, width] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic'],
});
const context = await browser.newContext({ viewport: { width: Number(width) || 1280, height: 900 } });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
let bytes = 0, requests = 0;
cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });

async function load(how) {
	bytes = 0;
	requests = 0;
	const t0 = Date.now();
	if (how === 'cold')
		await page.goto(url + '/#/experiments/' + encodeURIComponent(id));
	else
		await page.reload();
	await page.locator('#answer').waitFor({ timeout: 60000 });
	const answered = Date.now() - t0;
	await page.waitForFunction(() => {
		const imgs = [...document.querySelectorAll('.plots img')];
		return imgs.length && imgs.every((i) => i.complete);
	}, null, { timeout: 60000 });
	const done = Date.now() - t0;
	await page.waitForTimeout(300); /* late loadingFinished events */
	console.log(`page load ${how}: ${(bytes / 1024).toFixed(1)} KiB in ${requests} requests; ` +
		`answer shown after ${answered} ms, every plot after ${done} ms`);
}

await load('cold');
await load('cached');
await browser.close();
