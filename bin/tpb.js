#!/usr/bin/env node
import('../dist/cli/main.js').then((m) => m.runFromProcess());
