/** Writes docs/cli.md from the commands' own help (`npm run cli-reference`). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliReference } from '../cli/reference';

void cliReference().then((text) => writeFileSync(path.join(__dirname, '..', 'docs', 'cli.md'), text));
