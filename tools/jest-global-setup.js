// Native code (Dawn's OpenGL ES path through Mesa's EGL) reads the real environment, which a test
// file's sandboxed process.env does not reach: what mmfuse sets for it at run time is set here,
// before jest starts its workers, so the WebGPU tests find the software adapter on a headless machine.
const { mkdirSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

module.exports = async () => {
  if (process.platform !== 'linux') return;
  if (!process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) process.env.EGL_PLATFORM = 'surfaceless';
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `mmfuse-runtime-${process.getuid()}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
};
