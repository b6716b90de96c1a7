// The server-rendered pages and what other routers need of them.
export { createAuthPages, SIGNIN_FAILED } from './auth-pages.tsx';
export { ConsentPage, type ConsentPageProps } from './consent.tsx';
export { ErrorPage, renderErrorPage } from './error-page.tsx';
export { Page, type PageProps, renderPage, STYLESHEET_PATH } from './layout.tsx';
export { safeReturnTo } from './return-to.ts';
