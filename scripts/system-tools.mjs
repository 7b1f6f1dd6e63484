// The Debian tools the tests use: Chromium for the browser tests, sox and
// ffmpeg for audio fixtures and the ffmpeg source. Installed when missing
// and we are root with apt-get (CI, fresh machines); otherwise we say what
// to install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const TOOLS = [
  { bin: 'chromium', path: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: 'sox', pkg: 'sox' },
  { bin: 'ffmpeg', pkg: 'ffmpeg' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

export function ensureSystemTools() {
  const missing = TOOLS.filter((t) => !(t.path ? existsSync(t.path) : has(t.bin)));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(`Missing system tools: ${pkgs.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install ${pkgs.join(' ')}) and run again.`);
    process.exit(1);
  }
  console.log(`Installing ${pkgs.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  if (update.status !== 0 || install.status !== 0) {
    console.error(`apt-get could not install ${pkgs.join(', ')}`);
    process.exit(1);
  }
}
