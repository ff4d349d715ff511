/** An error shown by code: the plain, translated message first, the engine's detail and the code after. */
import type { ErrorPayload } from '../../shared/errors';
import { useI18n } from '../i18n';

export function ErrorNotice({ error, onDismiss }: { error: ErrorPayload; onDismiss?: () => void }) {
  const { t } = useI18n();
  const plain = t.errors[error.code];
  return (
    <div className="notice notice-error" role="alert" data-error-code={error.code}>
      <div className="notice-body">
        <strong>{plain}</strong>
        {error.message && error.message !== plain && <span className="notice-detail">{error.message}</span>}
        <code className="notice-code">{error.code}</code>
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" onClick={onDismiss} aria-label={t.dismiss} title={t.dismiss}>
          ×
        </button>
      )}
    </div>
  );
}
