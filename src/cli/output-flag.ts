import { Option } from 'commander';

/** `-o, --output yaml|json` (default yaml), as every printing command takes it. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format')
    .choices(['yaml', 'json'])
    .default('yaml');
}
