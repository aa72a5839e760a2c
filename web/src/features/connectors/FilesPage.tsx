import { deleteFile, listFiles, uploadFile } from '@csme/contracts/connectors';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api, apiUpload } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Button, Card, EmptyState, PageHeader, Spinner } from '../../ui';

export function FilesPage() {
  const { t, i18n } = useTranslation('connectors');
  const qc = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const q = useQuery({ queryKey: ['files'], queryFn: () => api(listFiles) });
  const refresh = () => qc.invalidateQueries({ queryKey: ['files'] });
  const upload = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append('file', file);
      return apiUpload(uploadFile, form);
    },
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => api(deleteFile, { params: { fileId: id } }), onSuccess: refresh });
  return (
    <>
      <PageHeader
        title={t('filesTitle')}
        description={t('filesLead')}
        actions={
          <>
            <label className="visually-hidden" htmlFor="file-upload">
              {t('chooseFile')}
            </label>
            <input
              id="file-upload"
              ref={input}
              type="file"
              className="visually-hidden"
              accept=".pdf,.docx,.md,.markdown,.txt,application/pdf,text/plain,text/markdown"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) upload.mutate(file);
                e.target.value = '';
              }}
            />
            <Button variant="primary" busy={upload.isPending} onClick={() => input.current?.click()}>
              {upload.isPending ? t('uploading') : t('upload')}
            </Button>
          </>
        }
      />
      <div className="stack">
        {upload.isError ? <ErrorNotice error={upload.error} /> : null}
        {remove.isError ? <ErrorNotice error={remove.error} /> : null}
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && q.data.items.length === 0 ? <EmptyState title={t('filesEmptyTitle')}>{t('filesEmptyBody')}</EmptyState> : null}
        {q.data?.items.map((f) => (
          <Card as="article" key={f.id} title={<span dir="auto">{f.name}</span>}>
            <p className="muted small">
              {t('fileSize', { size: Math.max(1, Math.round(f.size / 1024)).toLocaleString(i18n.language) })}
              {f.pages ? ` · ${t('pages', { count: f.pages })}` : ''}
              {' · '}
              {new Date(f.createdAt).toLocaleString(i18n.language)}
            </p>
            {f.textError ? <p className="small">{f.textError}</p> : <p className="small">{t('textChars', { count: f.textLength })}</p>}
            <div className="row">
              <Button
                size="small"
                variant="danger"
                busy={remove.isPending && remove.variables === f.id}
                onClick={() => remove.mutate(f.id)}
              >
                {t('delete')}
              </Button>
            </div>
          </Card>
        ))}
      </div>
    </>
  );
}
