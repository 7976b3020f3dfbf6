import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const clientSrc = fileURLToPath(new URL("../clients/js/src/", import.meta.url));

// The app builds the client from its sources, so a clean clone needs only
// `npm ci` here (no separate build of clients/js). React is deduplicated so
// the client's React bindings use the app's copy.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@sallyport\/client\/react$/, replacement: `${clientSrc}react.tsx` },
      { find: /^@sallyport\/client$/, replacement: `${clientSrc}index.ts` },
    ],
    dedupe: ["react", "react-dom", "react-router"],
  },
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    target: "es2022",
    rollupOptions: {
      onwarn(warning, warn) {
        // React Router marks its modules "use client"; that means nothing here.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  server: {
    // `npm run dev` talks to a local `sallyport serve` on its default address.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
