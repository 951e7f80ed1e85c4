import { environment } from '@hearth/config';

const tty = process.stdout.isTTY === true;
const color = tty && !environment()['NO_COLOR'];
const paint = (code: string, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

export const style = {
  good: (t: string): string => paint('32', t),
  bad: (t: string): string => paint('31', t),
  warn: (t: string): string => paint('33', t),
  dim: (t: string): string => paint('2', t),
  bold: (t: string): string => paint('1', t),
};

export interface Progress {
  done(): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Human output of the CLI: plain lines on a pipe, a live spinner line on a terminal. */
export const ui = {
  say(line: string): void {
    process.stdout.write(`${line}\n`);
  },
  step(line: string): void {
    process.stdout.write(`${style.dim('·')} ${line}\n`);
  },
  /** A remark beside the real output (stderr), e.g. before ssh takes over the terminal. */
  note(line: string): void {
    process.stderr.write(`${style.dim(line)}\n`);
  },
  warn(line: string): void {
    process.stderr.write(`${style.warn('warning:')} ${line}\n`);
  },
  error(line: string): void {
    process.stderr.write(`${style.bad('error:')} ${line}\n`);
  },
  /**
   * Shows what is happening now (read from `current`) with the time spent; on a pipe,
   * prints each new step once, so logs of CI runs stay readable.
   */
  progress(current: () => string): Progress {
    const started = Date.now();
    let last = '';
    let frame = 0;
    const tick = (): void => {
      const text = current();
      if (tty) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${text} ${style.dim(`${seconds}s`)}`);
      } else if (text !== last) {
        process.stdout.write(`${style.dim('·')} ${text}\n`);
      }
      last = text;
    };
    tick();
    const timer = setInterval(tick, tty ? 100 : 250);
    return {
      done() {
        clearInterval(timer);
        tick();
        if (tty) process.stdout.write('\r\x1b[2K');
      },
    };
  },
};
