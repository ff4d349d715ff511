/** Renderer entry: one client for whichever host loaded us, the language context, the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { I18nProvider } from './i18n';
import { createClient } from './lib/api';
import { ClientProvider } from './lib/client-context';
import { applyTheme, savedTheme } from './lib/theme';
import './styles.css';

// Before the first paint, so a dark choice does not flash light.
applyTheme(savedTheme());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ClientProvider client={createClient()}>
      <I18nProvider>
        <App />
      </I18nProvider>
    </ClientProvider>
  </StrictMode>,
);
