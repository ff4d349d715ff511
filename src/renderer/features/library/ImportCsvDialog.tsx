/**
 * Product data for a collection from CSV: paste or choose a file (read as text in the page, so it works in both
 * hosts), preview the first rows with the detected column mapping (editable), import, then read the report.
 */
import { useState } from 'react';
import { PRODUCT_FIELDS } from '../../../shared/api';
import type { ErrorPayload } from '../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';

type ImportResult = Output<'catalogImportCsv'>;
type Field = (typeof PRODUCT_FIELDS)[number];
type Mapping = Partial<Record<Field, string>>;

interface Props {
  collection: string;
  onClose: () => void;
  /** Called after a successful import, so lists and searches reload. */
  onImported: () => void;
}

const PREVIEW_ROWS = 5;
/** Report lists show this many entries, then a count of the rest. */
const LIST_LIMIT = 50;

export function ImportCsvDialog({ collection, onClose, onImported }: Props) {
  const { t } = useI18n();
  const client = useClient();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [mapping, setMapping] = useState<Mapping>({});
  const [report, setReport] = useState<ImportResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  const call = async (csv: string, isPreview: boolean, map: Mapping) => {
    setBusy(true);
    setError(null);
    try {
      const out = await unwrap(
        client.api.catalogImportCsv({ collection, source: { kind: 'text', text: csv }, mapping: map, preview: isPreview, previewRows: PREVIEW_ROWS }),
      );
      if (isPreview) setPreview(out);
      else {
        setReport(out);
        onImported();
      }
    } catch (err) {
      setError(toPayload(err));
    } finally {
      setBusy(false);
    }
  };

  const load = (csv: string, name: string | null) => {
    setText(csv);
    setFileName(name);
    setMapping({});
    setPreview(null);
    setReport(null);
    if (csv.trim()) void call(csv, true, {});
  };

  const effective = (field: Field): string | null => mapping[field] ?? preview?.mapping[field] ?? null;
  const fieldOf = (header: string): Field | undefined => PRODUCT_FIELDS.find((f) => effective(f)?.toLowerCase() === header.toLowerCase());
  const summary = report?.summary;

  return (
    <Modal label={t.importCsv.title(collection)} onClose={onClose} className="import-dialog">
      <div className="modal-head">
        <h2>{t.importCsv.title(collection)}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t.failures.close} title={t.failures.close}>
          ×
        </button>
      </div>
      <div className="apply-body" data-testid="import-dialog">
        {!summary && (
          <>
            <div className="import-source">
              <label className="field import-paste">
                <span>{t.importCsv.paste}</span>
                <textarea
                  value={text}
                  rows={4}
                  spellCheck={false}
                  placeholder="sku,title,brand,category,price,image"
                  onChange={(e) => {
                    setText(e.target.value);
                    setFileName(null);
                    setPreview(null);
                  }}
                  data-testid="import-text"
                />
              </label>
              <div className="import-buttons">
                <label className="button">
                  {t.importCsv.choose}
                  <input
                    type="file"
                    accept=".csv,.tsv,.txt,text/csv,text/plain"
                    className="visually-hidden"
                    data-testid="import-file"
                    onChange={(e) => {
                      const file = e.target.files?.[0];
                      e.target.value = '';
                      if (file) void file.text().then((csv) => load(csv, file.name));
                    }}
                  />
                </label>
                <button type="button" className="button" disabled={busy || !text.trim()} onClick={() => load(text, fileName)}>
                  {t.importCsv.preview}
                </button>
                {fileName && <span className="muted small mono">{fileName}</span>}
              </div>
            </div>
            {preview && (
              <>
                <p className="muted small" data-testid="import-detected">
                  {t.importCsv.detected(preview.headers.length, preview.delimiter === '\t' ? 'Tab' : preview.delimiter)}
                </p>
                <div className="mapping-grid" role="group" aria-label={t.importCsv.mapping}>
                  {PRODUCT_FIELDS.map((field) => (
                    <label key={field} className="control">
                      <span>{t.importCsv.field[field]}</span>
                      <select
                        value={mapping[field] ?? ''}
                        onChange={(e) => setMapping((m) => ({ ...m, [field]: e.target.value || undefined }))}
                        data-testid={`map-${field}`}
                      >
                        <option value="">{preview.mapping[field] ? t.importCsv.auto(preview.mapping[field]) : t.importCsv.none}</option>
                        {preview.headers.map((h) => (
                          <option key={h} value={h}>
                            {h}
                          </option>
                        ))}
                      </select>
                    </label>
                  ))}
                </div>
                <div className="table-scroll apply-list">
                  <table className="failures import-sample" data-testid="import-sample">
                    <thead>
                      <tr>
                        {preview.headers.map((h) => {
                          const field = fieldOf(h);
                          return (
                            <th key={h}>
                              {h}
                              {field && <span className="tag">{t.importCsv.field[field]}</span>}
                            </th>
                          );
                        })}
                      </tr>
                    </thead>
                    <tbody>
                      {preview.sample.map((row, i) => (
                        <tr key={i}>
                          {row.map((cell, j) => (
                            <td key={j}>{cell}</td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {!effective('sku') && <p className="text-warn small">{t.importCsv.needSku}</p>}
              </>
            )}
          </>
        )}
        {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
        {summary && (
          <div className="import-report" data-testid="import-report">
            <p className="apply-summary">
              {t.importCsv.done(summary.products, summary.inserted, summary.updated, summary.imagesLinked)}
            </p>
            <ul className="import-counts">
              <li data-testid="report-rows">{t.importCsv.rows(summary.rows)}</li>
              <li data-testid="report-unmatched-rows">{t.importCsv.unmatchedRows(summary.unmatchedRows.length)}</li>
              <li data-testid="report-unmatched-images">{t.importCsv.unmatchedImages(summary.unmatchedImages.length)}</li>
              {summary.skippedRows.length > 0 && <li>{t.importCsv.skipped(summary.skippedRows.length)}</li>}
              {summary.conflicts.length > 0 && <li>{t.importCsv.conflicts(summary.conflicts.length)}</li>}
            </ul>
            {summary.unmatchedRows.length > 0 && (
              <details>
                <summary>{t.importCsv.unmatchedRowsTitle}</summary>
                <ul className="mono small">
                  {summary.unmatchedRows.slice(0, LIST_LIMIT).map((r) => (
                    <li key={r.row}>
                      {t.importCsv.rowRef(r.row, r.sku)} {r.missing.length > 0 ? `→ ${r.missing.join(', ')}` : ''}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            {summary.unmatchedImages.length > 0 && (
              <details>
                <summary>{t.importCsv.unmatchedImagesTitle}</summary>
                <ul className="mono small" data-testid="report-images-list">
                  {summary.unmatchedImages.slice(0, LIST_LIMIT).map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                  {summary.unmatchedImages.length > LIST_LIMIT && <li>{t.importCsv.more(summary.unmatchedImages.length - LIST_LIMIT)}</li>}
                </ul>
              </details>
            )}
            {summary.skippedRows.length > 0 && (
              <details>
                <summary>{t.importCsv.skipped(summary.skippedRows.length)}</summary>
                <ul className="mono small">
                  {summary.skippedRows.slice(0, LIST_LIMIT).map((r) => (
                    <li key={r.row}>
                      {t.importCsv.rowRef(r.row, '')} {r.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </div>
        )}
      </div>
      <div className="modal-foot">
        <button type="button" className="button" onClick={onClose}>
          {summary ? t.failures.close : t.dupes.apply.cancel}
        </button>
        {!summary && (
          <button
            type="button"
            className="button button-primary"
            disabled={busy || !preview || !effective('sku')}
            onClick={() => void call(text, false, mapping)}
          >
            {t.importCsv.import}
          </button>
        )}
      </div>
    </Modal>
  );
}
