/** Writes schema/sidecars.schema.json from src/config/schema.ts (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { sidecarsSchema } from '../src/config/schema.js';

writeFileSync(
  new URL('../schema/sidecars.schema.json', import.meta.url),
  JSON.stringify(sidecarsSchema(), null, 2) + '\n',
);
