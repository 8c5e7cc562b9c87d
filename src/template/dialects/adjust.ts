import type { Dialect } from './types.js';

/** Adjust callbacks (MMP → partner or client server). */
export const adjust: Dialect = {
  id: 'adjust',
  title: 'Adjust',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'install, event and other callbacks (GET) to a server endpoint; unavailable placeholders are dropped',
  clickIdMacros: [],
  payoutMacros: [],
  macros: [
    { name: 'gps_adid', meaning: 'Google Play advertising id', role: 'other', source: 0 },
    { name: 'idfa', meaning: 'iOS advertising id', role: 'other', source: 0 },
    { name: 'idfv', meaning: 'iOS vendor id', role: 'other', source: 0 },
    { name: 'adid', meaning: 'Adjust device id', role: 'other', source: 0 },
    { name: 'tracker', meaning: 'Adjust link token', role: 'other', source: 0 },
    { name: 'tracker_name', meaning: 'link name', role: 'other', source: 0 },
    { name: 'link_token', meaning: 'Adjust link token', role: 'other', source: 0 },
    { name: 'link_name', meaning: 'link name', role: 'other', source: 0 },
    { name: 'app_name', meaning: 'name of the app', role: 'other', source: 0 },
    { name: 'activity_kind', meaning: 'kind of data point (install, event, session…)', role: 'other', source: 0 },
    { name: 'created_at', meaning: 'time of the data point, UNIX seconds', role: 'unix', source: 0 },
    { name: 'installed_at', meaning: 'install time, UNIX seconds', role: 'other', source: 1 },
    { name: 'conversion_duration', meaning: 'time from click to install', role: 'other', source: 1 },
    { name: 'event', meaning: 'event token', role: 'event', source: 0 },
    { name: 'event_name', meaning: 'event name', role: 'other', source: 0 },
    { name: 'country', meaning: 'country', role: 'other', source: 2 },
    { name: 'partner_parameters', meaning: 'partner parameters of the event', role: 'other', source: 2 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; the callback itself must be encoded once more inside an Adjust link', source: 2 },
  sources: [
    { url: 'https://help.adjust.com/en/article/event-callbacks', title: 'Adjust: Event callbacks' },
    { url: 'https://help.adjust.com/en/article/install-callbacks', title: 'Adjust: Install callbacks (via trackers.md S96)' },
    { url: 'https://help.adjust.com/en/article/callback-structure-partner', title: 'Adjust: Callback structure (partners)' },
  ],
};
