/** Where the runtime reports what it noticed; inject your own, or use the default JSON lines on stderr. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
};

export const stderrLogger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
