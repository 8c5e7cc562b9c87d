import type { PresetName } from '../../presets/catalog.js';
import { affise } from './affise.js';
import { binom } from './binom.js';
import { cake } from './cake.js';
import { everflow } from './everflow.js';
import { generic } from './generic.js';
import { keitaro } from './keitaro.js';
import { prosper202 } from './prosper202.js';
import { redtrack } from './redtrack.js';
import { tune } from './tune.js';
import { voluum } from './voluum.js';
import type { MockPreset } from './types.js';

export const DEFAULT_KEITARO_POSTBACK_KEY = 'a1b2c3d';

/** The mock behaviour of a preset. */
export function mockPreset(name: PresetName, options: { postbackKey?: string } = {}): MockPreset {
  switch (name) {
    case 'generic':
      return generic;
    case 'tune':
      return tune;
    case 'everflow':
      return everflow;
    case 'voluum':
      return voluum;
    case 'keitaro':
      return keitaro(options.postbackKey ?? DEFAULT_KEITARO_POSTBACK_KEY);
    case 'binom':
      return binom;
    case 'cake':
      return cake;
    case 'affise':
      return affise;
    case 'redtrack':
      return redtrack;
    case 'prosper202':
      return prosper202;
  }
}

export type { MockPreset } from './types.js';
