// Hot reload: re-read the config file on change. A bad edit is logged and
// refused; the previous config stays live.
import { watch } from 'chokidar';
import { log } from '../logging/logger.js';
import { loadConfigFile } from './load.js';
import type { Config } from './types.js';

export interface ConfigWatcher {
  close(): Promise<void>;
}

export function watchConfig(file: string, apply: (config: Config) => void, debounceMs = 150): ConfigWatcher {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    try {
      const loaded = loadConfigFile(file);
      for (const w of loaded.warnings) log.warn(w);
      apply(loaded.config);
    } catch (err) {
      log.error(`config change refused, keeping the previous config: ${(err as Error).message}`);
    }
  };
  // Editors save in bursts (truncate, write, rename): wait for the file to settle.
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  };
  const w = watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
  w.on('change', schedule).on('add', schedule);
  w.on('error', (err) => log.error({ err }, 'config watcher error'));
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await w.close();
    },
  };
}
