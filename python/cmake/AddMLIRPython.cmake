# Wraps the installed AddMLIRPython.cmake so that upstream's python/CMakeLists.txt, which includes it
# again, builds one package and one CAPI library that hold fourfold's sources (FourfoldPythonSources)
# beside upstream's. Redefining a CMake function keeps the previous one as _<name>.
include("${MLIR_CMAKE_DIR}/AddMLIRPython.cmake")

function(_fourfold_add_declared_sources out)
  set(_args ${ARGN})
  list(FIND _args DECLARED_SOURCES _at)
  math(EXPR _at "${_at} + 1")
  list(INSERT _args ${_at} FourfoldPythonSources)
  set(${out} ${_args} PARENT_SCOPE)
endfunction()

function(add_mlir_python_common_capi_library name)
  set(_args ${ARGN})
  if(name STREQUAL "MLIRPythonCAPI")
    _fourfold_add_declared_sources(_args ${ARGN})
  endif()
  _add_mlir_python_common_capi_library(${name} ${_args})
endfunction()

function(add_mlir_python_modules name)
  set(_args ${ARGN})
  if(name STREQUAL "MLIRPythonModules")
    _fourfold_add_declared_sources(_args ${ARGN})
  endif()
  _add_mlir_python_modules(${name} ${_args})
endfunction()
