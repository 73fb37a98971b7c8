/*
 * submit.js - the form for a new experiment, built from the target's
 * describe: workload, strategies, preset, a field per parameter (a
 * comma-separated list sweeps it), repetitions, seed, label, name. The
 * token is asked for once and kept in localStorage; the API's errors are
 * shown next to the field they name.
 */
'use strict';

(function (S) {
	const {main, el, append, replace, setStatus, flash, value, range, safeClass, errorBox, api, target,
		current, heading} = S;
	const TOKEN_KEY = 'svabench.token';

	/* A default as it would be typed in a field: 2000, not 2,000 (a comma is a list). */
	function plain(v) {
		if (v === null || v === undefined)
			return '';
		return typeof v === 'object' ? JSON.stringify(v) : String(v);
	}

	/* ---- the submit form ---- */

	function storedToken() {
		try {
			return localStorage.getItem(TOKEN_KEY) || '';
		} catch (e) {
			return '';
		}
	}

	function storeToken(tok) {
		try {
			if (tok)
				localStorage.setItem(TOKEN_KEY, tok);
			else
				localStorage.removeItem(TOKEN_KEY);
		} catch (e) {
			/* private mode: the token is asked for again next time */
		}
	}

	/* One field: label, control, hint, and a slot for its error. key is the API's field name. */
	function field(key, labelText, control, hint) {
		const id = control.id;
		const errId = id + '-err';
		const hintId = hint ? id + '-hint' : null;
		control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
		return el('div.field', {'data-field': key},
			el('label', {for: id}, labelText), control,
			hint ? el('p.hint', {id: hintId}, hint) : null,
			el('p.field-error', {id: errId}));
	}

	class FieldError extends Error {
		constructor(field, message) {
			super(message);
			this.field = field;
		}
	}

	function parseValue(p, s, key) {
		switch (p.type) {
		case 'int':
			if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
				throw new FieldError(key, "'" + s + "' is not an integer");
			return Number(s);
		case 'real': {
			const v = Number(s);
			if (s === '' || !Number.isFinite(v))
				throw new FieldError(key, "'" + s + "' is not a number");
			return v;
		}
		case 'bool':
			if (s === 'true' || s === 'false')
				return s === 'true';
			throw new FieldError(key, "'" + s + "' is not true or false");
		default:
			return s;
		}
	}

	async function pageSubmit(g, params) {
		document.title = 'Submit - svabench';
		heading('Submit an experiment');
		const tname = params.get('target') || 'sim';
		let t;
		try {
			t = await target(tname);
		} catch (e) {
			if (current(g))
				main.appendChild(errorBox(e, 'Cannot describe target ' + tname));
			return;
		}
		if (!current(g))
			return;

		const formErr = el('div.form-error', {role: 'alert', id: 'form-error'});
		const form = el('form.submit', {novalidate: true, 'aria-describedby': 'form-error'});
		const wl = el('select', {id: 'f-workload', name: 'workload', required: true},
			(t.workloads || []).map((w) => el('option', {value: w.name}, w.name)));
		const wlHelp = el('span', {});
		const preset = el('select', {id: 'f-preset', name: 'preset'},
			(t.presets || []).map((p) => el('option', {value: p.name}, p.name)));
		/* checked: the first strategy of each fix (describe's roles): pri-inv and notifier */
		const firstOfFix = (s, i) => s.role === 'fix' &&
			!(t.strategies || []).slice(0, i).some((o) => o.role === 'fix' && o.fix === s.fix);
		const strategies = (t.strategies || []).map((s, i) => el('input', {type: 'checkbox',
			id: 'f-s-' + safeClass(s.name), name: 'strategy', value: s.name,
			checked: firstOfFix(s, i)}));
		const stratBox = el('fieldset.field.strategies', {'data-field': 'strategies',
			'aria-describedby': 'f-strategies-err'},
			el('legend', {}, 'Strategies'),
			(t.strategies || []).map((s, i) => el('div.check', {}, strategies[i],
				el('label', {for: strategies[i].id}, el('code', {}, s.name), ' ', el('span.hint', {}, s.help || '')))),
			el('p.field-error', {id: 'f-strategies-err'}));
		const name = el('input', {id: 'f-name', name: 'name', type: 'text', autocomplete: 'off'});
		const label = el('input', {id: 'f-label', name: 'label', type: 'text', autocomplete: 'off',
			placeholder: 'e.g. v6.6 or a commit'});
		const reps = el('input', {id: 'f-repetitions', name: 'repetitions', type: 'number', min: 1,
			step: 1, inputmode: 'numeric', placeholder: 'default'});
		const seed = el('input', {id: 'f-seed', name: 'seed', type: 'text', inputmode: 'numeric',
			autocomplete: 'off', placeholder: 'default'});

		/* parameters by group, each a text field where a comma-separated list is a sweep */
		const paramInputs = [];
		const groups = new Map();
		for (const p of t.params || []) {
			const g2 = p.group || 'other';
			if (!groups.has(g2))
				groups.set(g2, []);
			const inp = el('input', {id: 'f-p-' + safeClass(p.name), name: 'params.' + p.name, type: 'text',
				autocomplete: 'off', spellcheck: 'false', list: p.choices || p.type === 'bool'
					? 'f-p-' + safeClass(p.name) + '-choices' : null});
			paramInputs.push([p, inp]);
			const hint = p.type + (range(p) ? ', ' + range(p) : '') + (p.unit ? ' ' + p.unit : '') +
				'; default ' + plain(p.default) + (p.help ? ' – ' + p.help : '');
			const f = field('params.' + p.name, [el('code', {}, p.name), p.unit ? ' (' + p.unit + ')' : ''],
				inp, hint);
			if (p.choices || p.type === 'bool')
				f.appendChild(el('datalist', {id: 'f-p-' + safeClass(p.name) + '-choices'},
					(p.choices || ['false', 'true']).map((c) => el('option', {value: c}))));
			groups.get(g2).push(f);
		}
		const paramBox = el('fieldset.params', {},
			el('legend', {}, 'Parameters'),
			el('p.hint', {}, 'Empty means the default (the workload\'s, then the target\'s). ' +
				'A comma-separated list sweeps the parameter: every combination is a cell.'),
			[...groups].map(([gname, fields], i) => el('details', {open: i === 0 || gname === 'run' || null},
				el('summary', {}, gname + ' (' + fields.length + ')'), el('div.grid', {}, fields))));

		const updateDefaults = () => {
			const w = (t.workloads || []).find((x) => x.name === wl.value) || {};
			wlHelp.textContent = w.help || '';
			for (const [p, inp] of paramInputs) {
				const d = w.defaults && p.name in w.defaults ? w.defaults[p.name] : p.default;
				inp.placeholder = plain(d);
			}
		};
		wl.addEventListener('change', updateDefaults);

		const tokenSlot = el('div', {});
		const tokenField = () => {
			if (storedToken()) {
				replace(tokenSlot, el('div.field', {'data-field': 'token'},
					el('p', {}, 'API token: kept in this browser. ',
						el('button.link', {type: 'button', onclick: () => {
							storeToken('');
							tokenField();
						}}, 'Forget it')),
					el('p.field-error', {id: 'f-token-err'})));
			} else {
				replace(tokenSlot, field('token', 'API token', el('input', {id: 'f-token', name: 'token',
					type: 'password', autocomplete: 'off', required: true}),
				'The contents of var/token on the daemon\'s host. Asked once, then kept in this browser (localStorage).'));
			}
		};
		tokenField();

		const button = el('button', {type: 'submit'}, 'Submit');
		append(form, [formErr,
			el('fieldset', {}, el('legend', {}, 'Experiment'),
				el('div.grid', {},
					field('workload', 'Workload', wl, wlHelp),
					field('preset', 'Preset', preset, 'Calibration values with their sources (Targets page).'),
					field('repetitions', 'Repetitions', reps, 'Runs per strategy and cell.'),
					field('seed', 'Seed', seed, 'Same spec and seed give the same numbers.'),
					field('label', 'Label', label, 'Groups experiments in the history: a kernel version, a commit.'),
					field('name', 'Name', name, 'A title for this experiment.'))),
			stratBox, paramBox, tokenSlot, el('div.actions', {}, button)]);
		main.appendChild(form);
		updateDefaults();

		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			clearErrors(form, formErr);
			let spec;
			try {
				spec = buildSpec();
			} catch (e) {
				showError(form, formErr, e.field, e.message);
				return;
			}
			const tokIn = form.querySelector('#f-token');
			const tok = tokIn ? tokIn.value.trim() : storedToken();
			if (!tok) {
				showError(form, formErr, 'token', 'the token is needed to submit');
				return;
			}
			button.disabled = true;
			setStatus('Submitting…');
			try {
				const res = await api('/experiments', {method: 'POST', headers: {
					'Content-Type': 'application/json', 'Authorization': 'Bearer ' + tok},
				body: JSON.stringify(spec)});
				storeToken(tok);
				flash('Submitted ' + res.id + ' (' + value(res.runs_total) + ' runs).');
				location.hash = '#/experiments/' + encodeURIComponent(res.id);
			} catch (e) {
				if (!current(g))
					return;
				setStatus('');
				if (e.status === 401) {
					storeToken('');
					tokenField();
					showError(form, formErr, 'token', 'the daemon refused this token: ' + e.message);
					return;
				}
				if (e.status === 400 && tokIn) {
					/* the token passed (it is checked first): keep it */
					storeToken(tok);
					tokenField();
				}
				showError(form, formErr, e.field, e.message, e);
			} finally {
				button.disabled = false;
			}
		});

		function buildSpec() {
			const spec = {target: tname, workload: wl.value};
			spec.strategies = strategies.filter((c) => c.checked).map((c) => c.value);
			if (!spec.strategies.length)
				throw new FieldError('strategies', 'pick at least one strategy');
			if (preset.value)
				spec.preset = preset.value;
			const ps = {};
			for (const [p, inp] of paramInputs) {
				const text = inp.value.trim();
				if (!text)
					continue;
				const key = 'params.' + p.name;
				const vals = text.split(',').map((s) => s.trim());
				if (vals.some((s) => s === ''))
					throw new FieldError(key, 'an empty item in the list');
				const parsed = vals.map((s) => parseValue(p, s, key));
				ps[p.name] = parsed.length === 1 ? parsed[0] : parsed;
			}
			spec.params = ps;
			if (reps.value.trim() !== '') {
				const n = Number(reps.value);
				if (!Number.isInteger(n))
					throw new FieldError('repetitions', 'repetitions must be a whole number');
				spec.repetitions = n;
			}
			if (seed.value.trim() !== '') {
				const s = seed.value.trim();
				if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
					throw new FieldError('seed', 'the seed must be a whole number below 2^53');
				spec.seed = Number(s);
			}
			if (label.value.trim())
				spec.label = label.value.trim();
			if (name.value.trim())
				spec.name = name.value.trim();
			return spec;
		}
	}

	function clearErrors(form, formErr) {
		replace(formErr);
		for (const p of form.querySelectorAll('.field-error'))
			p.textContent = '';
		for (const f of form.querySelectorAll('.field.invalid'))
			f.classList.remove('invalid');
		for (const c of form.querySelectorAll('[aria-invalid]'))
			c.removeAttribute('aria-invalid');
	}

	/*
	 * Shows message next to the field the API named ("params.pages",
	 * "strategies[2]", ...), or at the top of the form when no field
	 * matches.
	 */
	function showError(form, formErr, fieldName, message, err) {
		let box = null;
		if (fieldName) {
			const candidates = [fieldName, fieldName.replace(/\[\d+\]$/, ''),
				fieldName.replace(/\[\d+\].*$/, ''), fieldName.split('.').slice(0, 2).join('.')];
			for (const c of candidates) {
				box = [...form.querySelectorAll('[data-field]')].find((f) => f.dataset.field === c);
				if (box)
					break;
			}
		}
		const text = (err && err.status ? 'refused: ' : '') + message;
		if (!box) {
			replace(formErr, el('p', {}, (fieldName ? fieldName + ': ' : '') + text +
				(err && err.status ? ' (HTTP ' + err.status + ')' : '')));
			formErr.scrollIntoView({block: 'nearest'});
			return;
		}
		box.classList.add('invalid');
		const details = box.closest('details');
		if (details)
			details.open = true;
		box.querySelector('.field-error').textContent = text;
		const control = box.querySelector('input, select');
		if (control) {
			control.setAttribute('aria-invalid', 'true');
			control.focus();
		}
		replace(formErr, el('p', {}, 'The experiment was not submitted: see ', el('em', {}, fieldName), '.'));
	}

	S.pages.submit = pageSubmit;
}(window.svabench));
