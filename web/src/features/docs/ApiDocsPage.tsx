import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ErrorNotice } from '../../app/errors';
import { Card, PageHeader, Spinner } from '../../ui';

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

export function ApiDocsPage() {
  const { t } = useTranslation('docs');
  const q = useQuery({
    queryKey: ['openapi'],
    queryFn: async (): Promise<Doc> => {
      const r = await fetch('/api/openapi.json');
      if (!r.ok) throw new Error(`The server answered ${r.status}.`);
      return r.json();
    },
  });
  const byTag = new Map<string, Array<{ method: string; path: string; op: Operation }>>();
  for (const [path, methods] of Object.entries(q.data?.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} actions={<a href="/api/openapi.json">{t('download')}</a>} />
      {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
      {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      <div className="stack">
        {[...byTag.entries()].map(([tag, ops]) => (
          <Card key={tag} title={tag}>
            {ops.map(({ method, path, op }) => {
              const body = op.requestBody?.content?.['application/json']?.schema;
              const ok = Object.entries(op.responses ?? {}).find(([s]) => s.startsWith('2'));
              return (
                <details key={method + path}>
                  <summary>
                    <code dir="ltr">
                      {method} {path}
                    </code>{' '}
                    <span className="muted">{op.summary}</span>
                  </summary>
                  {op.parameters?.length ? (
                    <>
                      <h3>{t('params')}</h3>
                      <pre className="code">{JSON.stringify(op.parameters, null, 2)}</pre>
                    </>
                  ) : null}
                  {body ? (
                    <>
                      <h3>{t('request')}</h3>
                      <pre className="code">{JSON.stringify(body, null, 2)}</pre>
                    </>
                  ) : null}
                  {ok ? (
                    <>
                      <h3>
                        {t('response')} {ok[0]}
                      </h3>
                      <pre className="code">{JSON.stringify(ok[1].content?.['application/json']?.schema ?? {}, null, 2)}</pre>
                    </>
                  ) : null}
                </details>
              );
            })}
          </Card>
        ))}
      </div>
    </>
  );
}
