/**
 * A file path that wraps after its separators rather than mid-name (`break-all` split "catalog" into "cat" /
 * "alog"); a single name longer than the line still wraps anywhere as a last resort.
 */
import { Fragment } from 'react';

export function PathText({ path }: { path: string }) {
  const parts = path.split(/(?<=[\\/])/);
  return (
    <bdi className="path-text">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </bdi>
  );
}
