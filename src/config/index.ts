export { configFileSchema, envOverrides, loadConfigFile, parseConfig, type ConfigFile } from './config.ts';
export { loadConfig, toRuntimeConfig, type ImmudbStoreConfig, type RuntimeConfig } from './loadConfig.ts';
