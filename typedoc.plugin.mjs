// A TypeDoc plugin of this repository: names each package's module by its npm
// name (`@stt-stream/core`) rather than by its path (`core/src`), which is
// what TypeDoc's "resolve" strategy would show.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      // core/src → @stt-stream/core; core/src/internal → @stt-stream/core/internal
      const m = /^(\w+)\/src(\/\w+)?$/.exec(mod.name);
      if (m) mod.name = `@stt-stream/${m[1]}${m[2] ?? ''}`;
    }
  });
}
