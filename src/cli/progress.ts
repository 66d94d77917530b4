/** A progress line on stderr for long work: done, rate and ETA, redrawn at most every 200 ms. */
export function progressReporter(label: string, total: number | undefined, write: (text: string) => void = (t) => process.stderr.write(t)) {
  const started = Date.now();
  let last = 0;
  const line = (done: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = done / seconds;
    const eta = total && rate > 0 ? ` ETA ${Math.max(0, (total - done) / rate).toFixed(1)}s` : '';
    return `${label}: ${done}${total ? `/${total}` : ''} events, ${Math.round(rate)}/s${eta}`;
  };
  return {
    update(done: number): void {
      // Redraw only on a terminal; a log file gets the final line alone.
      if (!process.stderr.isTTY || Date.now() - last < 200) return;
      last = Date.now();
      write(`\r${line(done)}`);
    },
    done(done: number): void {
      write(`\r${line(done)}\n`);
    },
  };
}
