export { configFileSchema, envOverrides, loadConfigFile, parseConfig, type ConfigFile } from './config.ts';
export { loadConfig, toRuntimeConfig, type RuntimeConfig } from './loadConfig.ts';
