/**
 * The contract's entries implemented on the services: one line each, no logic of their own.
 */
import type { Services } from '../index.ts';
import type { ApiHandlers } from './dispatch.ts';

export function createApiHandlers(services: Services): ApiHandlers {
  const { scenarios } = services;
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
    'jobs.list': () => services.jobs.list(),
    'jobs.cancel': ({ jobId }) => ({ cancelled: services.jobs.cancel(jobId) }),
  };
}
