/** The Python with torch that runs the training recipe (training/*.py): the system one, never a user's venv. */
export const TRAINING_PYTHON = "/usr/bin/python3";
