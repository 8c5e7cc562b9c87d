import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { Redactor } from '../../src/text/redact.js';
import { capturingIo } from '../helpers/io.js';


describe('Output.jsonDocumentChunks claims the document at its first piece', () => {
  it('an error before the first piece leaves room for the error document; after it, not', () => {
    const { io, written } = capturingIo(new Redactor());
    const output = new Output(io, { json: true, color: false, quiet: false, verbose: false });
    function* failing(): Generator<string> {
      throw new Error('before any piece');
    }
    expect(() => output.jsonDocumentChunks(failing())).toThrow('before any piece');
    expect(output.jsonWritten).toBe(false);
    output.jsonDocument({ version: 1, error: { code: 'internal' } });
    expect(JSON.parse(written.join(''))).toEqual({ version: 1, error: { code: 'internal' } });

    const second = new Output(capturingIo(new Redactor()).io, { json: true, color: false, quiet: false, verbose: false });
    function* halfway(): Generator<string> {
      yield '{"a":';
      throw new Error('after a piece');
    }
    expect(() => second.jsonDocumentChunks(halfway())).toThrow('after a piece');
    expect(second.jsonWritten).toBe(true);
    expect(() => second.jsonDocument({})).toThrow(/second JSON document/);
  });
});
