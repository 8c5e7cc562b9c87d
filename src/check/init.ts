import { PRESETS, type PresetName } from '../presets/catalog.js';
import { SUCCESS_RULES } from '../fire/success-rules.js';
import { DUPLICATE_RULES } from '../fire/duplicates.js';

/** Click link path and query per preset (trackers.md shapes; values are examples to edit). */
const CLICK_PATHS: Readonly<Record<PresetName, string>> = {
  generic: '/click?offer_id={offer_id}&aff_id={aff_id}',
  tune: '/aff_c?offer_id={offer_id}&aff_id={aff_id}',
  everflow: '/28KL6/2CTPL/?sub1={aff_id}',
  voluum: '/3f2b6c1e-8d4a-4f0b-9c7e-5a1d2b3c4d5e?ts={aff_id}',
  keitaro: '/Xk3dPq?sub_id_1={aff_id}',
  binom: '/click.php?key={aff_id}',
  cake: '/?a={aff_id}&c={offer_id}',
  affise: '/click?pid={aff_id}&offer_id={offer_id}',
  redtrack: '/64b7f0c2a1d3e5f7a9b1c3d5?source={aff_id}',
  prosper202: '/tracking202/redirect/dl.php?t202id={offer_id}&c1={aff_id}',
};

/** The preset's success rule written as an explicit `expect:` (what replaces it, if the user wants to). */
const EXPLICIT_EXPECT: Readonly<Record<PresetName, string>> = {
  generic: '{ status: 2xx }',
  tune: '{ status: 200, body: "^success=true;" }',
  everflow: '{ status: 2xx }',
  voluum: '{ status: 2xx }',
  keitaro: '{ status: 2xx }              # with return=OK in the URL: { body: "^OK$" }',
  binom: '{ status: 2xx }',
  cake: '{ status: 2xx, body: "SUCCESS" }',
  affise: '{ status: 2xx }',
  redtrack: '{ status: 2xx }',
  prosper202: "{ status: 202, body: '\"error\":\\s*false' }",
};

/** What the duplicate test can tell with this tracker, when its duplicate answer is its success answer. */
const SAME_AS_SUCCESS_NOTE: Partial<Record<PresetName, string>> = {
  affise: '# Affise answers every postback 200, so the copy passes as "unclear" with a note: look for\n      # "Conversion exists" in its Server Postbacks log, or reconcile its conversion export.',
  prosper202: '# Prosper202 answers a replay like the original and does not count it (idempotent by txid):\n      # the copy passes as "unclear" with a note; reconcile its conversion export to confirm.',
};

/** A comment of one or more lines at the given indent (the text wraps at ~100 columns). */
function comment(text: string, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent.length + 2 + line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}\n`).join('');
}

/**
 * A starter scenario for `tpb check --init [--preset x]`: a click, then its postback with the
 * duplicate test (`repeat: 2`: the same postback again once the first was answered, which the
 * tracker must refuse). It passes as written against `tpb serve --preset x` with the environment
 * variables it names; the comments say this tracker's success rule and duplicate answer.
 */
/** The environment a preset's starter reads, as a command-line prefix (Keitaro's URL carries its postback key). */
export function starterEnvironment(preset: PresetName): string {
  return preset === 'keitaro' ? 'TRACKER_URL=https://staging.example.com KEITARO_POSTBACK_KEY=… ' : 'TRACKER_URL=https://staging.example.com ';
}

export function starterScenario(preset: PresetName): string {
  const info = PRESETS[preset];
  const env = starterEnvironment(preset);
  const keitaroUrl =
    preset === 'keitaro'
      ? `      # Keitaro's postback URL carries the postback key: https://<domain>/<postback-key>/postback
      # (tpb serve --preset keitaro: a1b2c3d)
      url: "{tracker}/\${KEITARO_POSTBACK_KEY}/postback?subid={click_id}&tid={txid}&status=sale&payout={payout}"\n`
      : '';
  const duplicate = DUPLICATE_RULES[preset];
  const sameAsSuccess = SAME_AS_SUCCESS_NOTE[preset];
  return `# tpb check scenario (${info.title}). Run it against a staging tracker, or tpb serve --preset ${preset}:
#   ${env}tpb check tpb-check.yaml --junit report.xml
# {name} is a var, a data-row column (--data rows.csv) or a capture; \${NAME} an environment
# variable (a secret: redacted everywhere). Exit 0 all passed, 1 a check failed, 3 tracker unreachable.
name: ${info.title} postback loop
tracker: \${TRACKER_URL}
preset: ${preset}
vars:
  offer_id: "1001"
  aff_id: "2002"
${preset === 'everflow' ? '  nid: "1"                   # your Everflow network id (required in postbacks)\n' : ''}steps:
  - name: click
    click:
      url: "{tracker}${CLICK_PATHS[preset]}"
      capture: click_id          # the id in the redirect is now {click_id}
  - name: ${sameAsSuccess ? 'postback accepted, duplicate replayed' : 'postback accepted, duplicate refused'}
    fire:
${keitaroUrl}      payout: "1.50"
      txid: "order-{click_id}"
      retries: 2                 # network errors, 429 and 5xx only
${comment(`The verdict is ${info.title}'s own success rule: ${SUCCESS_RULES[preset].description}. To replace it:`, '      ')}      # expect: ${EXPLICIT_EXPECT[preset]}
      repeat: 2                  # the duplicate test: the same postback again, 1s after the answer
      expect_repeat: refused     # the default: a working tracker counts a conversion once
${comment(`${info.title} answers a duplicate: ${duplicate.description}`, '      ')}${sameAsSuccess ? `      ${sameAsSuccess}\n` : ''}`;
}

export function starterFileName(): string {
  return 'tpb-check.yaml';
}
