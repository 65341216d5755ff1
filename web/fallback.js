// web/fallback.js - the page without WebGL2: a plain HTML classifier.
//
// The Dear ImGui app needs WebGL2. Some machines have none (headless browsers, school and
// remote-desktop setups with GPU acceleration off); there the wasm app's main() tells the page
// (Module.host.noWebGL) and keeps its runtime alive, so the shared core still decodes and
// preprocesses exactly as it does natively and onnxruntime-web still runs the model. This file
// says so visibly and offers what still works: a file input, dropping or pasting a photo, and
// the probabilities as HTML bars (newest first). No canvas, no inline styles (the page's CSP).
//
//   showFallback({reason, classify}) -> {status(text), open(file, name)}
//     reason:   why there is no WebGL2 (shown to the user)
//     classify: (blob, name) -> Promise<{label, probs}> (web/catdog.js's classify)
//     status:   the model's loading state, shown under the message
//     open:     classifies one file and adds its result to the list

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

export function showFallback({ reason, classify, labels = () => [] }) {
  const input = el('input', { id: 'fallback-file', type: 'file', accept: 'image/*' });
  const statusLine = el('p', { id: 'fallback-status' }, 'Loading the model...');
  const results = el('ol', { id: 'fallback-results', 'aria-label': 'Results, newest first' });
  const section = el('section', { id: 'fallback', 'aria-labelledby': 'fallback-title' },
    el('h1', { id: 'fallback-title' }, 'catdog'),
    el('p', { id: 'fallback-why', role: 'alert' },
      `No WebGL2 here (${reason}), so the network views (kernels, feature maps, playground) cannot be drawn. `,
      'Photos can still be classified, on this device, by the same network.'),
    el('div', { id: 'fallback-drop', class: 'fallback-drop' },
      el('label', { for: 'fallback-file' }, 'Choose a photo'), input,
      el('p', {}, '... or drop or paste one anywhere on this page.')),
    statusLine, results);
  document.body.append(section);
  document.body.classList.add('no-webgl');

  async function open(file, name = file.name || 'photo') {
    const item = el('li', { class: 'fallback-result' }, el('strong', {}, name), ': classifying...');
    results.prepend(item);
    try {
      const r = await classify(file, name);
      const names = labels();
      const bars = el('ul', { class: 'fallback-bars' });
      r.probs.forEach((p, i) => {
        const pct = `${(p * 100).toFixed(1)}%`;
        const fill = el('span', { class: 'fallback-fill' });
        fill.style.width = pct;   // CSSOM, which the CSP allows (inline style attributes it does not)
        bars.append(el('li', {}, el('span', { class: 'fallback-label' }, `${names[i] ?? i} ${pct}`),
          el('span', { class: 'fallback-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1',
            'aria-valuenow': String(p), 'aria-label': `${names[i] ?? i}` }, fill)));
      });
      item.replaceChildren(el('strong', {}, name), `: ${r.label}`, bars);
      item.dataset.label = r.label;
      return r;
    } catch (e) {
      item.replaceChildren(el('strong', {}, name), `: ${e.message || e}`);
      item.classList.add('fallback-error');
      throw e;
    }
  }
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    input.value = '';
    if (f) open(f).catch(() => {});
  });
  return { status: (text) => { statusLine.textContent = text; }, open };
}
