import type { ForgeConfig } from '@electron-forge/shared-types';
import { MakerSquirrel } from '@electron-forge/maker-squirrel';
import { MakerZIP } from '@electron-forge/maker-zip';
import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerRpm } from '@electron-forge/maker-rpm';
import { MakerDMG } from '@electron-forge/maker-dmg';
import { VitePlugin } from '@electron-forge/plugin-vite';

// `npm start` runs the app from source; `npm run make` builds installers with these makers.
// resources/ and migrations/ travel beside the app (read at run time, not bundled).
const config: ForgeConfig = {
  packagerConfig: {
    name: 'SOO Lab',
    executableName: 'soo-lab',
    asar: { unpack: '**/*.node' },
    // The native addon travels as a resource too (paths.ts appFile finds it there).
    extraResource: ['resources', 'migrations', 'native/build/Release/soo_native.node'],
  },
  rebuildConfig: { onlyModules: ['better-sqlite3'] },
  makers: [
    new MakerSquirrel({ name: 'soo_lab' }),
    new MakerZIP({}, ['darwin', 'linux', 'win32']),
    new MakerDMG({}),
    new MakerRpm({ options: { bin: 'soo-lab' } }),
    new MakerDeb({ options: { bin: 'soo-lab', categories: ['Science', 'Development'] } }),
  ],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/main/main.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'electron/main/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
        // The engine process's host, forked by engineProcess.ts as plain JS (no tsx in a packaged app).
        { entry: 'electron/engine-host/main.ts', config: 'vite.engine.config.ts', target: 'main' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
  ],
};

export default config;
