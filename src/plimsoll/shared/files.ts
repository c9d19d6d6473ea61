import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { PlimsollError } from '../errors.js';

/** Every YAML (or JSON) document in a file; empty documents are skipped. */
export async function readDocuments(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PlimsollError('FILE_NOT_FOUND', `${path}: no such file`);
    throw new PlimsollError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`, { cause: error });
  }
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const parsed: unknown[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) {
      const first = document.errors[0]!;
      throw new PlimsollError('FILE_UNREADABLE', `${path}: not valid YAML: ${first.message.split('\n')[0]}`);
    }
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) parsed.push(value);
  }
  return parsed;
}

/** The single document a file must hold. */
export async function readSingleDocument(path: string, what: string): Promise<unknown> {
  const documents = await readDocuments(path);
  if (documents.length !== 1) {
    throw new PlimsollError('FILE_UNREADABLE', `${path}: expected exactly one ${what} document, found ${documents.length}`);
  }
  return documents[0];
}
