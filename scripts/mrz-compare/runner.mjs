// Runs the npm package mrz over a corpus written by the Go side of the
// comparison: one zone per line, its lines joined by "|". Writes one
// verdict per zone (valid flag, format, invalid fields) and prints the
// timing of `rounds` further passes as JSON on stdout.
import { parse } from 'mrz';
import fs from 'node:fs';

const [, , corpusPath, outPath, roundsArg] = process.argv;
const zones = fs.readFileSync(corpusPath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('|'));
const out = [];
// The first pass records the verdicts and warms the JIT up.
for (const z of zones) {
  try {
    const r = parse(z);
    const bad = r.details.filter((d) => !d.valid).map((d) => d.field);
    out.push(`${r.valid ? 1 : 0}\t${r.format}\t${bad.join(',')}`);
  } catch (e) {
    out.push(`E\t\t${String(e.message).replace(/\s+/g, ' ')}`);
  }
}
fs.writeFileSync(outPath, out.join('\n') + '\n');
const rounds = Number(roundsArg) || 3;
let sink = 0;
const t0 = process.hrtime.bigint();
for (let k = 0; k < rounds; k++) {
  for (const z of zones) {
    try {
      sink += parse(z).valid ? 1 : 0;
    } catch {
      sink -= 1;
    }
  }
}
const ns = Number(process.hrtime.bigint() - t0);
console.log(JSON.stringify({ parses: rounds * zones.length, ns, sink }));
