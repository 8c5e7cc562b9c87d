import { Option, type Command } from 'commander';
import { durationParser, parseNumber, parseRatio } from './parsers.js';
import type { LoadThresholds } from '../stats/thresholds.js';

/** The load-test options click and fire share (parsed by commander). */
export interface LoadCommandOptions {
  rate?: number;
  duration?: number;
  warmup?: number;
  maxP95?: number;
  maxP99?: number;
  maxErrorRate?: number;
  minRate?: number;
}

/**
 * -d/--duration, --warmup, --rate (a constant arrival rate) and the thresholds, with one wording
 * for click and fire. `unit` names what is sent ("clicks", "postbacks").
 */
export function addLoadOptions(command: Command, unit: string): Command {
  return command
    .addOption(new Option('-d, --duration <duration>', `send ${unit} for this long (30s, 5m); with -n, whichever ends first`).argParser(durationParser('s')))
    .addOption(new Option('--warmup <duration>', `send ${unit} for this long first and leave them out of the figures (stored all the same)`).argParser(durationParser('s')))
    .option('--rate <per-second>', `a constant arrival rate: ${unit} are due every 1/rate s, latency counts from when each was due, and late ones are counted "behind schedule"`, parseNumber({ min: 0.001 }))
    .option('--max-p95 <ms>', 'fail (exit 1) when the p95 latency is over this many ms', parseNumber({ min: 0 }))
    .option('--max-p99 <ms>', 'fail (exit 1) when the p99 latency is over this many ms', parseNumber({ min: 0 }))
    .option('--max-error-rate <ratio>', `fail (exit 1) when failed ${unit} / sent is over this (0..1)`, parseRatio)
    .option('--min-rate <per-second>', `fail (exit 1) when fewer ${unit} per second were sent`, parseNumber({ min: 0 }));
}

export function loadThresholds(options: LoadCommandOptions): LoadThresholds {
  return {
    ...(options.maxP95 !== undefined ? { maxP95: options.maxP95 } : {}),
    ...(options.maxP99 !== undefined ? { maxP99: options.maxP99 } : {}),
    ...(options.maxErrorRate !== undefined ? { maxErrorRate: options.maxErrorRate } : {}),
    ...(options.minRate !== undefined ? { minRate: options.minRate } : {}),
  };
}
