/**
 * The contract's entries implemented on the services: one line each, no logic of their own.
 */
import type { Services } from '../index.ts';
import { SooError } from '../../contract/errors.ts';
import type { ApiHandlers } from './dispatch.ts';
import { inspectModel } from '../activations/modelSummary.ts';

export function createApiHandlers(services: Services): ApiHandlers {
  const { scenarios, activationsJobs } = services;
  return {
    'app.info': () => services.info(),
    'scenarios.list': () => scenarios.list(),
    'scenarios.get': ({ id }) => scenarios.get(id),
    'scenarios.validate': ({ pack }) => scenarios.validate(pack),
    'scenarios.preview': (input) => scenarios.preview(input),
    'scenarios.save': ({ pack }) => scenarios.save(pack),
    'scenarios.delete': ({ id }) => scenarios.delete(id),
    'scenarios.import': ({ fileName, text }) => scenarios.importText(fileName, text),
    'scenarios.export': ({ id }) => scenarios.exportText(id),
    'models.inspect': ({ path }) => inspectModel(path),
    'models.library': () => services.models.view(),
    'models.open': ({ path }) => services.models.open(path),
    'models.forget': ({ path }) => services.models.forget(path),
    'models.download': (request) => services.models.startDownload(request),
    'models.discardPartial': ({ fileName }) => services.models.discardPartial(fileName),
    'models.gpu': ({ modelPath }) => services.models.gpu.view(modelPath),
    'models.setGpuLayers': ({ gpuLayers }) => {
      services.models.gpu.set(gpuLayers);
      return services.models.gpu.view();
    },
    'activations.tokenCounts': (input) => activationsJobs.tokenCounts(input),
    'activations.latentStart': (input) => activationsJobs.startLatent(input),
    'activations.perToken': ({ jobId, pairIndex }) => activationsJobs.perToken(jobId, pairIndex),
    'activations.export': ({ jobId, format }) => activationsJobs.export(jobId, format),
    'train.presets': () => services.training.presets(),
    'train.start': ({ packId, pack, set, n, pairsSeed, ...rest }) =>
      services.training.start({
        ...rest,
        ...(rest.pairsFile === undefined ? { pairsSource: { ...(packId !== undefined ? { packId } : {}), ...(pack !== undefined ? { pack } : {}), set, n, seed: pairsSeed } } : {}),
      }),
    'train.resume': ({ runId }) => services.training.startResume(runId),
    'demo.status': ({ variant }) => services.demo.status(variant),
    'demo.build': ({ variant }) => services.demo.startBuild(variant),
    'experiments.presets': () => services.experimentViews.presets(),
    'experiments.check': ({ config }) => services.experimentViews.check(config),
    'experiments.start': ({ config }) => services.experimentViews.start(config),
    'experiments.resume': ({ runId }) => services.experimentViews.resume(runId),
    'experiments.get': ({ runId }) => services.experimentViews.get(runId),
    'runs.list': (filter) => services.experimentViews.list(filter),
    'runs.get': ({ runId }) => services.experimentViews.detail(runId),
    'runs.responses': ({ runId, bucket }) => services.experimentViews.responses(runId, bucket),
    'runs.export': ({ runId }) => services.experimentViews.exportJson(runId),
    'reports.html': ({ runId }) => (services.runs.get(runId)?.kind === 'rl' ? services.rlViews.reportHtml(runId) : services.experimentViews.reportHtml(runId)),
    'reports.pdf': () => {
      throw new SooError({ code: 'bad_input', message: 'PDF export needs the desktop app (Electron printToPDF); download the HTML report instead' });
    },
    'reports.tables': ({ runId, format }) => services.experimentViews.tables(runId, format),
    'rl.runs': () => services.rlViews.list(),
    'rl.trainStart': (input) => services.rlViews.trainStart(input),
    'rl.sooStart': (input) => services.rlViews.sooStart(input),
    'rl.resume': ({ runId, episodes }) => services.rlJobs.resumeStart(runId, episodes),
    'rl.evalStart': (input) => services.rlJobs.evalStart(input),
    'rl.reportStart': (input) => services.rlViews.reportStart(input),
    'rl.metrics': ({ runId, resolution }) => services.rlViews.metrics(runId, resolution),
    'rl.trace': ({ runId, seed, episode }) => services.rlViews.trace(runId, seed, episode),
    'jobs.list': () => services.jobs.list(),
    'jobs.cancel': ({ jobId }) => ({ cancelled: services.jobs.cancel(jobId) }),
  };
}
