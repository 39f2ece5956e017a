import { Option } from 'commander';

/**
 * `-o, --output <format>`, as every printing command takes it: one of
 * `formats`, the first the default (`yaml|json` unless the command prints
 * something else by default, such as a table or text).
 */
export function outputOption(formats: readonly string[] = ['yaml', 'json']): Option {
  return new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]);
}
