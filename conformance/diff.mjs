// A line diff for the conformance output: unified hunks (3 lines of context),
// and for a line replaced by one other, where the two first differ.

/** Unified diff of two texts, `-` for `a`, `+` for `b`. Empty when equal. */
export function diffLines(a, b, context = 3) {
  const x = a.split('\n');
  const y = b.split('\n');
  // LCS table (outputs are a few hundred lines: quadratic is fine).
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push({ op: ' ', text: x[i++], ai: i, bj: ++j });
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', text: x[i++], ai: i, bj: j });
    else ops.push({ op: '+', text: y[j++], ai: i, bj: j });
  }
  const changed = ops.map((o, k) => (o.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const out = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k] - context);
    let end = Math.min(ops.length, changed[k] + context + 1);
    while (k + 1 < changed.length && changed[k + 1] - context <= end) end = Math.min(ops.length, changed[++k] + context + 1);
    k++;
    out.push(`@@ expected line ${ops[start].ai + (ops[start].op === '+' ? 1 : 0)}, actual line ${ops[start].bj + (ops[start].op === '-' ? 1 : 0)} @@`);
    for (let h = start; h < end; h++) {
      out.push(`${ops[h].op} ${ops[h].text}`);
      const next = ops[h + 1];
      if (ops[h].op === '-' && next?.op === '+' && ops[h + 2]?.op !== '+' && ops[h - 1]?.op !== '-') {
        out.push(`+ ${next.text}`);
        out.push(`  ^ first difference at column ${firstDifference(ops[h].text, next.text) + 1}: ${excerpt(ops[h].text, next.text)}`);
        h++;
      }
    }
  }
  return out.join('\n');
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function excerpt(a, b) {
  const at = firstDifference(a, b);
  const from = Math.max(0, at - 30);
  return `expected …${a.slice(from, at + 40)}… got …${b.slice(from, at + 40)}…`;
}
