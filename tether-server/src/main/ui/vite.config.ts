import { defineConfig } from "vite";

// The build lands in the server module's classpath (target/classes/tether-ui), which the Maven
// build packages into the jar; ControlPlane serves it from there.
export default defineConfig({
  root: ".",
  base: "./",
  build: {
    outDir: "../../../target/classes/tether-ui",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
