export { DataRoboMnistContribution, default as dataRoboMnistModule } from './data-robomnist-module';
export { CSI_UNUSED_SUBCARRIERS, CSI_USED_SUBCARRIERS, parseComplex, readCsi, SnifferCsi } from './robomnist-csi';
export { readKinematics, RobotKinematics } from './robomnist-kinematics';
export { looksLikeRecording, parseFileName, parseStem, RoboMnistFile, RoboMnistStem, whyNotRecording } from './robomnist-names';
export { AUDIO_LOG_FLOOR, AUDIO_MAX_HZ, audioBandOf, audioSpectra, MIC_SAMPLE_RATE, MicrophoneAudio, readMicrophone } from './robomnist-audio';
export { CameraReadOptions, FfmpegLookup, locateFfmpeg, probeVideoSize, readCameraFrames, STEREO_HEIGHT, STEREO_WIDTH, StereoView, VIDEO_FRAME_RATE } from './robomnist-video';
export { ROBOMNIST_MEDIA_DEFAULTS, ROBOMNIST_SCHEMA, RoboMnistModality, RoboMnistOptions, RoboMnistSource, roboMnistModalities } from './robomnist-source';
export { indexRoboMnist, IndexedRecording, PUBLISHED_FILES, RoboMnistIndex, SkippedFile } from './robomnist-index';
