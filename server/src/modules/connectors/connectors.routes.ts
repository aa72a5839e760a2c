import * as C from '@csme/contracts/connectors';
import { MAX_FILE_BYTES } from '@csme/contracts/connectors';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '#core/errors.js';
import { route } from '#core/http.js';
import * as S from './connectors.service.js';
import * as F from './files/files.js';

export const connectorsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listConnectors, 'signed_in', (ctx) => S.listConnectors(ctx));
  route(app, C.testConnector, 'signed_in', (ctx, { body }) => S.testConnector(ctx, body));
  route(app, C.createConnector, 'signed_in', (ctx, { body }) => S.createConnector(ctx, body));
  route(app, C.getConnector, 'signed_in', (ctx, { params }) => S.getConnector(ctx, params.connectorId));
  route(app, C.updateConnector, 'signed_in', (ctx, { params, body }) => S.updateConnector(ctx, params.connectorId, body));
  route(app, C.deleteConnector, 'signed_in', async (ctx, { params }) => {
    await S.deleteConnector(ctx, params.connectorId);
    return null;
  });
  route(app, C.syncConnector, 'signed_in', (ctx, { params }) => S.requestSync(ctx, params.connectorId));

  route(app, C.listFiles, 'signed_in', (ctx) => F.listFiles(ctx));
  route(app, C.getFile, 'signed_in', (ctx, { params }) => F.getFile(ctx, params.fileId));
  route(app, C.deleteFile, 'signed_in', async (ctx, { params }) => {
    await F.deleteFile(ctx, params.fileId);
    return null;
  });
  route(
    app,
    C.uploadFile,
    'signed_in',
    async (ctx, _input, req) => {
      if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data in a part named "file".');
      let file: { name: string; bytes: Buffer } | null = null;
      let visibility: 'shared' | 'private' | undefined;
      for await (const part of req.parts({ limits: { fileSize: MAX_FILE_BYTES, files: 1 } })) {
        if (part.type === 'file') {
          const bytes = await part.toBuffer();
          if (part.file.truncated) throw new AppError('payload_too_large', `Files can be up to ${MAX_FILE_BYTES / 1024 / 1024} MB.`);
          file = { name: part.filename || 'file', bytes };
        } else if (part.fieldname === 'visibility' && (part.value === 'shared' || part.value === 'private')) {
          visibility = part.value;
        }
      }
      if (!file) throw new AppError('invalid_input', 'Send the file in a part named "file".');
      return F.uploadFile(ctx, { ...file, visibility });
    },
    { bodyLimit: MAX_FILE_BYTES + 1024 * 1024 },
  );
};
