/**
 * The 14 CheXpert observations, in CheXpert order: the order of every label vector in this project (the column
 * order of report-labels.csv, the labeler's output, the retrieval index, training's manifest). The one list in
 * TypeScript; training/manifest.py reads it from the dataset manifest.
 */
export const CHEXPERT_OBSERVATIONS = [
  "No Finding",
  "Enlarged Cardiomediastinum",
  "Cardiomegaly",
  "Lung Lesion",
  "Lung Opacity",
  "Edema",
  "Consolidation",
  "Pneumonia",
  "Atelectasis",
  "Pneumothorax",
  "Pleural Effusion",
  "Pleural Other",
  "Fracture",
  "Support Devices",
] as const;

export type ObservationName = (typeof CHEXPERT_OBSERVATIONS)[number];

/** 1 positive, 0 negative, -1 uncertain, null not mentioned (CheXpert convention). */
export type LabelValue = 1 | 0 | -1 | null;

/** One value per observation, in CHEXPERT_OBSERVATIONS order: the one label-vector type of the project. */
export type LabelVector = LabelValue[];
