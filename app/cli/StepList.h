#pragma once
// The capture-step list parser moved into the engine (the GUI uses it too);
// this header keeps CLI sources that include it here building.
#include "engine/pipeline/StepList.h"
