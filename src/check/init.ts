import { PRESETS, type PresetName } from '../presets/catalog.js';

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

/** A starter scenario for `tpb check --init [--preset x]`: click, postback, the duplicate test. */
export function starterScenario(preset: PresetName): string {
  const info = PRESETS[preset];
  const keitaroNote =
    preset === 'keitaro'
      ? `      # Keitaro's postback URL carries the postback key: https://<domain>/<postback-key>/postback
      url: "{tracker}/\${KEITARO_POSTBACK_KEY}/postback?subid={click_id}&tid={txid}&status=sale&payout={payout}"\n`
      : '';
  return `# tpb check scenario (${info.title}). Run it against a staging tracker:
#   TRACKER_URL=https://staging.example.com tpb check ${preset === 'generic' ? 'tpb-check.yaml' : `tpb-check.yaml`} --junit report.xml
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
  - name: postback accepted
    fire:
${keitaroNote}      payout: "1.50"
      txid: "order-{click_id}"
      retries: 2                 # network errors, 429 and 5xx only
      # expect: { status: 200, body: "^success=true;" }   # default: ${info.title}'s own success rule
  - name: duplicate postback
    continue_on_failure: true
    fire:
${keitaroNote}      payout: "1.50"
      txid: "order-{click_id}"
      expect: { status: 2xx }      # what your tracker answers to a duplicate: edit to match
`;
}

export function starterFileName(): string {
  return 'tpb-check.yaml';
}
