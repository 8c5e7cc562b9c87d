import type { Command } from 'commander';

/** Append an "Examples:" section to a command's --help. */
export function addExamples(command: Command, examples: ReadonlyArray<readonly [command: string, what: string]>): Command {
  const width = Math.max(...examples.map(([line]) => line.length));
  const lines = examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`);
  return command.addHelpText('after', `\nExamples:\n${lines.join('\n')}\n`);
}
