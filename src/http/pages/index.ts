// The server-rendered pages and what other routers need of them.

export { ErrorPage, renderErrorPage } from '../views/error-page.tsx';
export { Page, type PageProps, renderPage, STYLESHEET_PATH } from '../views/layout.tsx';
export { createAuthPages, SIGNIN_FAILED } from './auth-pages.tsx';
export { ConsentPage, type ConsentPageProps } from './consent.tsx';
export { safeReturnTo } from './return-to.ts';
